/** Turns a ThreadState into the thread's messages. Pure: same state, same messages. */
import { gateDecisions } from '../../audit/gate-summary.js';
import type { ChatMessage } from '../types.js';
import {
  GATE_EMOJI, STEP_EMOJI, displayReaction, formatDuration, formatTime, lastLine, personName, platformName, plural, truncate,
} from './format.js';
import type { GateState, StepState, ThreadNote, ThreadState, UpgradeOutcome } from './thread-state.js';
import type { UpdateType } from '../../runbook/types.js';

/** How messages are worded for one team. */
export interface RenderOptions {
  /** IANA zone for deadlines (the config's `schedule.timezone`). Default UTC. */
  timeZone?: string;
  /** The configured approval reactions (the config's `approvals.reactions`). */
  reactions?: { approve: readonly string[]; reject: readonly string[] };
}

const DEFAULT_REACTIONS = { approve: ['white_check_mark', '✅'], reject: ['x', '❌'] } as const;

function updatePhrase(type: UpdateType): string {
  if (type === 'none') return 'no version change';
  if (type === 'downgrade') return 'a downgrade';
  return `${type} update`;
}

export function renderPlanSummary(state: ThreadState): ChatMessage {
  const plan = state.plan;
  if (plan === undefined) return { text: `Upgrade ${state.upgradeId}: waiting for the plan…`, tone: 'info' };
  const verb = plan.kind === 'rollback' ? 'Rollback' : 'Upgrade';
  const dry = state.dryRun ? ' (dry run: nothing will change)' : '';
  const hosts = Object.keys(plan.fromVersions);
  const who = state.requester === undefined ? '' : `${personName(state.requester)} asked: `;
  const backupStep = plan.steps.some((step) => step.kind === 'backup');
  const lines = [
    ...plan.warnings.map((warning) => `⚠️ ${warning}`),
    ...(plan.changelog?.breaking ?? []).map((item) => `💥 Breaking: ${item}`),
    ...(plan.changelog?.migrations ?? []).map((item) => `🗄️ Migration: ${item}`),
    ...(plan.changelog?.runtime ?? []).map((item) => `🧰 Runtime: ${item}`),
    ...(plan.changelog?.newConfig ?? []).map((item) => `🆕 Config: ${item}`),
  ];
  const breaking = (plan.changelog?.breaking.length ?? 0) > 0;
  // Staging hosts are upgraded by the same plan but are not in fromVersions (the target environment's).
  const staging = [...new Set(plan.steps.filter((step) => step.phase === 'staging' && step.host !== undefined).map((step) => step.host as string))];
  return {
    title: `${verb} plan: ${plan.environment} → ${plan.toVersion}${dry}`,
    text: `${who}${verb.toLowerCase()} ${plan.environment} (${plural(hosts.length, 'host')}) to ${plan.toVersion}, ${updatePhrase(plan.updateType)}, ${plan.strategy}.`,
    fields: [
      ...(staging.length > 0 ? [{ label: 'Staging first', value: staging.join(', ') }] : []),
      { label: 'Hosts', value: hosts.map((host) => `${host}: ${plan.fromVersions[host] ?? '?'} → ${plan.toVersion}`).join('\n') || 'none' },
      { label: 'Update type', value: plan.updateType },
      { label: 'Strategy', value: plan.strategy },
      { label: 'Expected downtime', value: plan.expectedDowntime },
      { label: 'Backup', value: plan.backupId ?? (backupStep ? 'taken before the switch' : 'none') },
      { label: 'Approvals', value: plan.gates.length === 0 ? 'none needed' : plan.gates.map((gate) => gate.title).join('\n') },
    ],
    ...(lines.length > 0 ? { lines } : {}),
    context: [`upgrade ${state.upgradeId}`, `plan ${plan.hash.slice(0, 12)}`, `${plural(plan.steps.length, 'step')}`],
    tone: breaking || plan.warnings.length > 0 ? 'warning' : 'info',
  };
}

export function renderChecklist(state: ThreadState): ChatMessage {
  const lines: string[] = [];
  const shownGates = new Set<string>();
  for (const step of state.steps) {
    for (const gate of state.gates) {
      if (gate.beforeStep === step.id && !shownGates.has(gate.id)) {
        lines.push(gateLine(gate));
        shownGates.add(gate.id);
      }
    }
    lines.push(...stepLines(step));
  }
  for (const gate of state.gates) if (!shownGates.has(gate.id)) lines.push(gateLine(gate));
  const done = state.steps.filter((step) => step.status === 'done').length;
  const failed = state.steps.some((step) => step.status === 'failed');
  const progress = `${done}/${state.steps.length} done`;
  return {
    title: `Checklist (${progress})`,
    text: `Checklist for ${state.upgradeId}: ${progress}${failed ? ', a step failed' : ''}`,
    lines: lines.length > 0 ? lines : ['⬜ waiting for the first step'],
    tone: failed ? 'danger' : state.finished?.outcome === 'succeeded' ? 'success' : 'info',
  };
}

function stepLines(step: StepState): string[] {
  const where = step.host === undefined ? '' : `${step.host}: `;
  const title = step.host !== undefined && step.title.startsWith(`${step.host}:`) ? step.title : `${where}${step.title}`;
  const duration = step.durationMs === undefined ? '' : ` (${formatDuration(step.durationMs)})`;
  const running = step.status === 'running' ? ' (running)' : '';
  const why = step.status === 'skipped' && step.reason !== undefined ? ` — ${step.reason}` : '';
  const lines = [`${STEP_EMOJI[step.status]} ${title}${duration}${running}${why}`];
  const said = step.status === 'done' && step.report === true ? lastLine(step.excerpt ?? '') : '';
  if (said !== '') lines.push(`    ↳ ${truncate(said, 300)}`);
  if (step.status === 'failed') {
    const exit = step.exitCode === undefined ? '' : `exit ${step.exitCode}: `;
    const hint = lastLine(step.excerpt ?? '') || step.error || '';
    lines.push(`    ↳ ${exit}${truncate(step.error !== undefined && step.error !== hint ? `${step.error}; ${hint}` : hint, 300)}`);
  }
  return lines;
}

function gateLine(gate: GateState): string {
  const emoji = GATE_EMOJI[gate.status];
  switch (gate.status) {
    case 'pending': return `${emoji} Approval: ${gate.title}`;
    case 'waiting': return `${emoji} Approval: ${gate.title} (waiting, ${gate.approvers.length}/${gate.needed ?? 1})`;
    case 'passed': return `${emoji} Approved: ${gate.title}${gate.approvers.length > 0 ? ` by ${gate.approvers.map(personName).join(', ')}` : ''}`;
    case 'rejected': return `${emoji} Rejected: ${gate.title}${gate.rejectedBy === undefined ? '' : ` by ${personName(gate.rejectedBy)}`}`;
    case 'expired': return `${emoji} Expired: ${gate.title} (no approval before the deadline)`;
  }
}

export function renderHealth(state: ThreadState): ChatMessage {
  const healthy = state.health.filter((result) => result.live && result.ready).length;
  const lines = state.health.map((result) => {
    const ok = result.live && result.ready;
    const parts = [
      result.live ? 'live' : 'not live',
      result.ready ? 'ready' : 'not ready',
      ...(result.version === undefined ? [] : [result.version]),
      `${Math.round(result.latencyMs)} ms`,
    ];
    return `${ok ? '✅' : '❌'} ${result.host}: ${parts.join(' · ')}${result.error === undefined ? '' : ` — ${result.error}`}`;
  });
  return {
    title: `Health (check ${state.healthRounds})`,
    text: `Health: ${healthy}/${state.health.length} hosts live and ready`,
    lines,
    tone: healthy === state.health.length ? 'success' : 'danger',
  };
}

export function renderApprovalRequest(gate: GateState, state: ThreadState, options: RenderOptions = {}): ChatMessage {
  const reactions = options.reactions ?? DEFAULT_REACTIONS;
  const approve = displayReaction(reactions.approve);
  const reject = displayReaction(reactions.reject);
  const needed = gate.needed ?? 1;
  const before = state.steps.find((step) => step.id === gate.beforeStep);
  const deadline = gate.deadline === undefined ? 'none' : formatTime(gate.deadline, options.timeZone);
  const status = gateLine(gate);
  const open = gate.status === 'waiting' || gate.status === 'pending';
  return {
    title: `🔐 Approval needed: ${gate.title}`,
    text: open
      ? `${plural(needed, 'approval')} needed${before === undefined ? '' : ` before "${before.title}"`}. React ${approve} to approve or ${reject} to reject, by ${deadline}.`
      : status,
    fields: [
      { label: 'Gate', value: gate.title },
      { label: 'Approvals', value: `${gate.approvers.length} of ${needed}` },
      { label: 'Deadline', value: deadline },
      { label: 'React', value: `${approve} approve · ${reject} reject` },
    ],
    context: [
      ...(gate.planHash === undefined ? [] : [`plan ${gate.planHash.slice(0, 12)}: approvals count for this plan only`]),
      ...(open ? [] : [status]),
    ],
    ...(open ? { reactions: [approve, reject] } : {}),
    tone: gate.status === 'passed' ? 'success' : gate.status === 'rejected' || gate.status === 'expired' ? 'danger' : 'warning',
  };
}

export function renderNote(note: ThreadNote): ChatMessage {
  switch (note.kind) {
    case 'approval': {
      const who = `${personName(note.approval)} on ${platformName(note.approval.platform)}`;
      const verb = note.approval.decision === 'approve' ? 'approved' : 'rejected';
      if (!note.counted) return { text: `➖ ${verb} by ${who}, not counted${note.note === undefined ? '' : `: ${note.note}`}`, tone: 'warning' };
      return { text: `${note.approval.decision === 'approve' ? '✅' : '❌'} ${verb} by ${who}${note.note === undefined ? '' : ` (${note.note})`}`, tone: note.approval.decision === 'approve' ? 'success' : 'danger' };
    }
    case 'log':
      return { text: `${note.level === 'error' ? '❌' : note.level === 'warn' ? '⚠️' : 'ℹ️'} ${note.message}`, tone: note.level === 'error' ? 'danger' : note.level === 'warn' ? 'warning' : 'info' };
    case 'rollback-proposed':
      return { title: '↩️ Rollback proposed', text: `${note.reason}`, context: [`rollback ${note.rollbackId}`], tone: 'danger' };
  }
}

const OUTCOME_TITLES: Readonly<Record<UpgradeOutcome, string>> = {
  succeeded: '✅ {Kind} succeeded', failed: '❌ {Kind} failed', cancelled: '🚫 {Kind} cancelled', 'rolled-back': '↩️ Rolled back', expired: '⌛ {Kind} expired',
};

/** "Upgrade succeeded", or "Rollback succeeded" for a rollback's own thread. */
function outcomeTitle(outcome: UpgradeOutcome, plan: ThreadState['plan']): string {
  return OUTCOME_TITLES[outcome].replace('{Kind}', plan?.kind === 'rollback' ? 'Rollback' : 'Upgrade');
}

/**
 * Why a failed run failed, in the report itself: the failed step's excerpt (for health steps: the
 * probe's answer, the supervisor's state and the gateway's log tail, secrets already redacted).
 * The tail is kept, within what a Discord embed field holds (1,024 characters).
 */
function failureFields(state: ThreadState): { label: string; value: string }[] {
  if (state.finished?.outcome === 'succeeded') return [];
  return state.steps.filter((step) => step.status === 'failed' && (step.excerpt ?? '').trim() !== '').slice(0, 2).map((step) => {
    const text = (step.excerpt ?? '').split('\n').filter((line) => line.trim() !== '').slice(-14).join('\n');
    const value = text.length <= 1000 ? text : `…${text.slice(text.length - 999)}`;
    return { label: `Why ${step.host === undefined ? '' : `${step.host}: `}${step.title} failed`, value };
  });
}

export function renderReport(state: ThreadState): ChatMessage {
  const outcome = state.finished?.outcome ?? 'failed';
  const plan = state.plan;
  const counts = (['done', 'failed', 'skipped', 'pending'] as const)
    .map((status) => [status, state.steps.filter((step) => step.status === status).length] as const)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status === 'pending' ? 'not run' : status}`);
  const decisions = gateDecisions(state.gates, (approval) => `${personName(approval)} (${platformName(approval.platform)})`);
  const total = state.firstAt !== undefined && state.lastAt !== undefined ? Date.parse(state.lastAt) - Date.parse(state.firstAt) : undefined;
  const versions = state.health.filter((result) => result.version !== undefined).map((result) => `${result.host}: ${result.version}`);
  const fields = [
    ...(plan === undefined ? [] : [{ label: 'Environment', value: `${plan.environment} → ${plan.toVersion}` }]),
    { label: 'Steps', value: counts.join(', ') || 'none' },
    ...(total === undefined || Number.isNaN(total) ? [] : [{ label: 'Duration', value: formatDuration(total) }]),
    ...(decisions.length > 0 ? [{ label: 'Approvals', value: decisions.join('\n') }] : []),
    ...(versions.length > 0 ? [{ label: 'Running now', value: versions.join('\n') }] : []),
    ...failureFields(state),
  ];
  return {
    title: `${outcomeTitle(outcome, plan)}${state.dryRun ? ' (dry run)' : ''}`,
    text: state.finished?.summary ?? '',
    fields,
    context: [`upgrade ${state.upgradeId}`],
    tone: outcome === 'succeeded' ? 'success' : outcome === 'rolled-back' || outcome === 'cancelled' ? 'warning' : 'danger',
  };
}
