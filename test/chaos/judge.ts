/**
 * Decides a chaos cell from the hosts' side and the audit, not from what the engine says about
 * itself: the host journal (what each attempt ran on each host, and when), npm's own install logs,
 * PM2's restart counts, what serves at the end, and the audit record of the upgrade.
 */
import type { AuditStep, UpgradeRecord } from '../../src/audit/store.js';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import { actionsAfterTakeover, type JournalEntry } from '../../src/remote/host-fence.js';
import type { PlanStep } from '../../src/runbook/types.js';

/** What one host shows after the cell. */
export interface HostEvidence {
  host: string;
  /** The host journal of this upgrade (null: there was none). */
  journal: JournalEntry[] | null;
  /** `npm install` runs of the target release (npm's debug logs). */
  installRuns: number;
  /** PM2 restarts of the app the strategy restarts in place (pm2: `openclaw`), during the cell. */
  inPlaceRestarts?: number;
  /** What answers on the public port: its version and whether /readyz said 200. */
  serving: { version: string | null; ready: boolean };
}

export interface CellEvidence {
  steps: readonly PlanStep[];
  events: readonly UpgradeEvent[];
  audit: UpgradeRecord | null;
  hosts: readonly HostEvidence[];
  target: string;
  expectedOutcome: string;
  /** Things the runner noticed (a kill that landed after its step ended, a fault that could not be injected). */
  runnerNotes: readonly string[];
}

export interface Verdict {
  outcome: string;
  /** Step starts beyond the first, from the audit (safe repeats included). */
  reruns: number;
  /** Interrupted steps a later attempt's check found already done. */
  skippedAsDone: number;
  unsafeRepeats: number;
  orphanActions: number;
  auditOk: boolean;
  /** The highest attempt token any host saw (1 = no takeover reached a host). */
  attempts: number;
  ok: boolean;
  notes: string[];
}

/** Commands of an older attempt that started or ended after a newer attempt's first command on that host. */
export const orphanActions = actionsAfterTakeover;

/** Completed runs (an `end` line, whatever the exit) per journal label. */
export function completedRuns(journal: readonly JournalEntry[]): Map<string, number> {
  const runs = new Map<string, number>();
  for (const entry of journal) if (entry.event === 'end') runs.set(entry.label, (runs.get(entry.label) ?? 0) + 1);
  return runs;
}

/** Unsafe steps (safeToRepeat false) that ran to completion more than once on a host, with how often. */
export function unsafeRepeats(steps: readonly PlanStep[], host: HostEvidence): Array<{ stepId: string; runs: number }> {
  const runs = host.journal === null ? new Map<string, number>() : completedRuns(host.journal);
  return steps.filter((step) => !step.safeToRepeat && step.host === host.host).flatMap((step) => {
    // A pm2 reload that ran twice shows as two restarts even without a journal.
    const evidence = step.id.endsWith(':reload') ? host.inPlaceRestarts ?? 0 : 0;
    const count = Math.max(runs.get(step.id) ?? 0, evidence);
    return count > 1 ? [{ stepId: step.id, runs: count }] : [];
  });
}

function auditProblems(evidence: CellEvidence, outcome: string): string[] {
  const { audit, steps, events } = evidence;
  if (audit === null) return ['no audit record'];
  const problems: string[] = [];
  if (audit.outcome !== outcome) problems.push(`audit outcome ${audit.outcome ?? 'missing'} ≠ ${outcome}`);
  const byId = new Map<string, AuditStep>(audit.steps.map((step) => [step.stepId, step]));
  for (const step of steps) {
    const recorded = byId.get(step.id);
    const started = events.filter((event) => event.type === 'step-started' && event.stepId === step.id).length;
    if (!recorded) problems.push(`audit lacks ${step.id}`);
    else if (outcome === 'succeeded' && recorded.status !== 'succeeded' && recorded.status !== 'skipped') problems.push(`audit: ${step.id} ${recorded.status}`);
    else if (recorded.runs !== started) problems.push(`audit: ${step.id} runs ${recorded.runs}, started ${started}×`);
  }
  return problems;
}

export function judge(evidence: CellEvidence): Verdict {
  const finished = evidence.events.find((event): event is Extract<UpgradeEvent, { type: 'finished' }> => event.type === 'finished');
  const outcome = finished?.outcome ?? 'unfinished';
  const notes = [...evidence.runnerNotes];
  if (outcome !== evidence.expectedOutcome) notes.push(`outcome ${outcome}${finished ? `: ${finished.summary}` : ''}`);
  let unsafe = 0;
  let orphans = 0;
  let attempts = 1;
  for (const host of evidence.hosts) {
    if (host.journal === null) notes.push(`${host.host}: no host journal`);
    for (const repeat of unsafeRepeats(evidence.steps, host)) {
      unsafe += repeat.runs - 1;
      const confirmed = evidence.events.some((event) => event.type === 'gate-passed' && event.gateId === `confirm:${repeat.stepId}`);
      notes.push(`${repeat.stepId} ran ${repeat.runs}×${confirmed ? ' (re-run approved at its confirm gate)' : ''}`);
    }
    const orphaned = orphanActions(host.journal ?? []);
    orphans += orphaned.length;
    for (const entry of orphaned) notes.push(`${host.host}: orphan ${entry.event} ${entry.label} of attempt ${entry.token}`);
    attempts = Math.max(attempts, ...(host.journal ?? []).map((entry) => entry.token));
    if (host.serving.version !== evidence.target || !host.serving.ready) {
      notes.push(`${host.host} serves ${host.serving.version ?? 'nothing'}${host.serving.ready ? '' : ', not ready'}`);
    }
    if (evidence.target && host.installRuns === 0 && evidence.steps.some((step) => step.id === `${host.host}:install`)) notes.push(`${host.host}: no npm install of ${evidence.target}`);
  }
  const problems = auditProblems(evidence, outcome);
  notes.push(...problems);
  const reruns = (evidence.audit?.steps ?? []).reduce((sum, step) => sum + Math.max(0, step.runs - 1), 0);
  const skippedAsDone = evidence.events.filter((event) => event.type === 'step-skipped' && /already done/.test(event.reason)).length;
  const serving = evidence.hosts.every((host) => host.serving.version === evidence.target && host.serving.ready);
  const journals = evidence.hosts.every((host) => host.journal !== null);
  const ok = outcome === evidence.expectedOutcome && serving && unsafe === 0 && orphans === 0 && problems.length === 0 && journals
    && !evidence.runnerNotes.some((note) => note.startsWith('invalid:'));
  return { outcome, reruns, skippedAsDone, unsafeRepeats: unsafe, orphanActions: orphans, auditOk: problems.length === 0, attempts, ok, notes };
}
