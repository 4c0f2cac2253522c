/**
 * Plain-text rendering of a plan for `clawops plan` and dry runs: a header, warnings, changelog
 * findings, then the checklist — one line per step with its host and the exact command line,
 * quoted for display (POSIX single quotes; a leading `~/` stays visible as the home directory).
 */
import type { Plan, PlanStep, StepAction } from './types.js';

const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argv element as a person would type it. */
export function displayWord(word: string): string {
  if (word.startsWith('~/')) {
    const rest = word.slice(2);
    return rest === '' ? '~/' : `~/${displayWord(rest)}`;
  }
  if (word !== '' && PLAIN.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `NAME=value … argv…` for display only; the executor does its own quoting. */
export function displayCommand(argv: readonly string[], env: Readonly<Record<string, string>> = {}): string {
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${displayWord(value)}`);
  return [...assignments, ...argv.map(displayArgument)].join(' ');
}

/**
 * A multi-line argument (a fixed `node -e` script clawops runs on a host) is shown by its first
 * line and size: whole, it buried the plan and the checklist under code.
 */
function displayArgument(word: string): string {
  const lines = word.split('\n');
  if (lines.length < 3) return displayWord(word);
  const first = lines.find((line) => line.trim() !== '')?.trim() ?? '';
  return `${displayWord(`${first.length > 60 ? `${first.slice(0, 59)}…` : first} …`)} (${lines.length}-line script)`;
}

export function describeAction(action: StepAction): string {
  switch (action.type) {
    case 'command':
      return `$ ${displayCommand(action.argv, action.env)}${action.okExitCodes === undefined ? '' : `  (ok: exit ${action.okExitCodes.join('/')})`}`;
    case 'write-file':
      return `write ${action.path}:\n${action.content.trimEnd().split('\n').map((line) => `          | ${line}`).join('\n')}`;
    case 'http-check':
      return `poll ${action.url} until ${action.expect} (${Math.round(action.timeoutMs / 1000)} s${action.viaHost ? ', from the host' : ''})`;
    case 'version-check':
      return `expect ${action.expectVersion}${action.argv === undefined ? '' : ` from $ ${displayCommand(action.argv, action.env)}`}`;
    case 'watch':
      return `health every ${action.intervalSeconds} s for ${action.minutes} min`;
    case 'notify':
      return `post: ${action.message}`;
  }
}

function stepLines(step: PlanStep, index: number, plan: Plan): string[] {
  const lines: string[] = [];
  for (const gateId of step.after ?? []) {
    const gate = plan.gates.find((candidate) => candidate.id === gateId);
    lines.push(`  ⏸ GATE ${gateId} (${gate?.reason ?? 'confirm'}): ${gate?.title ?? ''} — needs approval`);
  }
  const where = step.host === undefined ? step.environment : `${step.host}`;
  const batch = step.batch !== undefined && step.phase !== 'preflight' && step.phase !== 'verify' ? ` [batch ${step.batch + 1}]` : '';
  lines.push(`${String(index + 1).padStart(3)}. [ ] ${where}${batch}: ${step.title}`);
  lines.push(`        ${describeAction(step.action)}`);
  return lines;
}

/** The whole plan as text. */
export function renderPlanText(plan: Plan): string {
  const from = [...new Set(Object.values(plan.fromVersions))].join('/');
  const lines = [
    `${plan.kind === 'upgrade' ? 'Upgrade' : 'Rollback'} ${plan.environment}: ${from} → ${plan.toVersion} (${plan.updateType}) · strategy ${plan.strategy} · plan ${plan.hash}`,
    `Expected downtime: ${plan.expectedDowntime}`,
  ];
  if (plan.backupId !== undefined) lines.push(`Backup id: ${plan.backupId}`);
  if (plan.changelog !== undefined) {
    const { breaking, migrations, runtime, newConfig } = plan.changelog;
    lines.push(`Changelog: ${breaking.length} breaking, ${migrations.length} migration, ${runtime.length} runtime, ${newConfig.length} new config`);
    for (const entry of breaking) lines.push(`  BREAKING ${entry}`);
  }
  if (plan.warnings.length > 0) {
    lines.push('Warnings:');
    for (const warning of plan.warnings) lines.push(`  ! ${warning}`);
  }
  lines.push('Checklist:');
  let phase: string | undefined;
  plan.steps.forEach((step, index) => {
    if (step.phase !== phase) {
      phase = step.phase;
      lines.push(`— ${phase ?? 'steps'} —`);
    }
    lines.push(...stepLines(step, index, plan));
  });
  return lines.join('\n');
}
