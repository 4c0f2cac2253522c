/**
 * Everything one upgrade thread shows, folded from the engine's events. Pure: a restarted
 * gateway rebuilds the thread by reducing the event history from the start.
 */
import type { Plan } from '../../runbook/types.js';
import type { Approval, HealthResult, Requester, UpgradeEvent } from '../../jobs/events.js';

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';
export type GateStatus = 'pending' | 'waiting' | 'passed' | 'rejected' | 'expired';
export type UpgradeOutcome = Extract<UpgradeEvent, { type: 'finished' }>['outcome'];

/** One checklist row for a plan step. */
export interface StepState {
  id: string;
  title: string;
  host?: string;
  status: StepStatus;
  startedAt?: string;
  durationMs?: number;
  exitCode?: number;
  excerpt?: string;
  error?: string;
  /** Why it was skipped. */
  reason?: string;
  /** Show the last line of its output once done (PlanStep.report). */
  report?: boolean;
}

/** One approval point: its request message and the approvals gathered so far. */
export interface GateState {
  id: string;
  title: string;
  /** The step it stands before; the checklist shows the gate right above it. */
  beforeStep?: string;
  status: GateStatus;
  deadline?: string;
  needed?: number;
  planHash?: string;
  /** Every decision seen, counted or not, in arrival order. */
  decisions: Array<{ approval: Approval; counted: boolean; note?: string }>;
  approvers: Approval[];
  rejectedBy?: Approval;
}

/** A line worth its own message in the thread: an approval note, a warning, a rollback proposal. */
export type ThreadNote =
  | { kind: 'approval'; gateId: string; approval: Approval; counted: boolean; note?: string }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { kind: 'rollback-proposed'; reason: string; rollbackId: string };

export interface ThreadState {
  upgradeId: string;
  plan?: Plan;
  requester?: Requester;
  dryRun: boolean;
  /** Steps in plan order (steps the plan did not list are appended as they appear). */
  steps: StepState[];
  gates: GateState[];
  /** The latest health result per host, in first-seen host order. */
  health: HealthResult[];
  /** How many health events arrived (the message says "round N"). */
  healthRounds: number;
  notes: ThreadNote[];
  finished?: { outcome: UpgradeOutcome; summary: string };
  /** The first and last event time seen, for the report's total duration. */
  firstAt?: string;
  lastAt?: string;
  /** Events folded so far; a gateway resuming from history can compare it to the stream length. */
  eventCount: number;
}

export function initialThreadState(upgradeId: string): ThreadState {
  return { upgradeId, dryRun: false, steps: [], gates: [], health: [], healthRounds: 0, notes: [], eventCount: 0 };
}

/** The reducer. Events for another upgrade leave the state as it is. */
export function reduceThread(state: ThreadState, event: UpgradeEvent): ThreadState {
  if (event.upgradeId !== state.upgradeId) return state;
  const next = { ...state, eventCount: state.eventCount + 1, ...stamp(state, event) };
  switch (event.type) {
    case 'plan':
      return {
        ...next,
        plan: event.plan,
        requester: event.requester,
        dryRun: event.dryRun,
        steps: event.plan.steps.map((step) => ({
          ...withOptional({ host: step.host, report: step.report }),
          id: step.id,
          title: step.title,
          status: 'pending' as const,
        })),
        gates: event.plan.gates.map((gate) => ({
          id: gate.id, title: gate.title, beforeStep: gate.beforeStep, status: 'pending' as const, decisions: [], approvers: [],
        })),
      };
    case 'step-started':
      return { ...next, steps: patchStep(next.steps, event.stepId, { status: 'running', startedAt: event.at }) };
    case 'step-finished':
      return {
        ...next,
        steps: patchStep(next.steps, event.stepId, {
          status: 'done', durationMs: event.durationMs, ...withOptional({ exitCode: event.exitCode, excerpt: event.excerpt }),
        }),
      };
    case 'step-failed':
      return {
        ...next,
        steps: patchStep(next.steps, event.stepId, {
          status: 'failed', durationMs: event.durationMs, excerpt: event.excerpt, error: event.error, ...withOptional({ exitCode: event.exitCode }),
        }),
      };
    case 'step-skipped':
      return { ...next, steps: patchStep(next.steps, event.stepId, { status: 'skipped', reason: event.reason }) };
    case 'health': {
      const health = [...next.health];
      for (const result of event.results) {
        const index = health.findIndex((known) => known.host === result.host);
        if (index === -1) health.push(result);
        else health[index] = result;
      }
      return { ...next, health, healthRounds: next.healthRounds + 1 };
    }
    case 'gate-waiting':
      return {
        ...next,
        gates: patchGate(next.gates, event.gateId, {
          status: 'waiting', title: event.title, deadline: event.deadline, needed: event.needed, planHash: event.planHash,
        }),
      };
    case 'gate-approval': {
      const gate = findGate(next.gates, event.gateId);
      const decision = { approval: event.approval, counted: event.counted, ...withOptional({ note: event.note }) };
      // Distinct people, as the engine tallies them: the same person approving twice counts once.
      const again = gate.approvers.some((known) => known.platform === event.approval.platform && known.userId === event.approval.userId);
      const approvers = event.counted && event.approval.decision === 'approve' && !again ? [...gate.approvers, event.approval] : gate.approvers;
      return {
        ...next,
        gates: patchGate(next.gates, event.gateId, { decisions: [...gate.decisions, decision], approvers }),
        notes: [...next.notes, { kind: 'approval', gateId: event.gateId, ...decision }],
      };
    }
    case 'gate-passed':
      return { ...next, gates: patchGate(next.gates, event.gateId, { status: 'passed', approvers: event.approvers }) };
    case 'gate-rejected':
      return { ...next, gates: patchGate(next.gates, event.gateId, { status: 'rejected', rejectedBy: event.by }) };
    case 'gate-expired':
      return { ...next, gates: patchGate(next.gates, event.gateId, { status: 'expired' }) };
    case 'rollback-proposed':
      return { ...next, notes: [...next.notes, { kind: 'rollback-proposed', reason: event.reason, rollbackId: event.rollbackId }] };
    case 'log':
      return { ...next, notes: [...next.notes, { kind: 'log', level: event.level, message: event.message }] };
    case 'finished':
      return { ...next, finished: { outcome: event.outcome, summary: event.summary } };
  }
}

/** Rebuilds a thread from its event history (events of other upgrades are ignored). */
export function rebuildThread(upgradeId: string, events: Iterable<UpgradeEvent>): ThreadState {
  let state = initialThreadState(upgradeId);
  for (const event of events) state = reduceThread(state, event);
  return state;
}

function stamp(state: ThreadState, event: UpgradeEvent): Partial<ThreadState> {
  const at = 'at' in event ? event.at : event.type === 'gate-approval' ? event.approval.at : undefined;
  if (at === undefined) return {};
  return { firstAt: state.firstAt ?? at, lastAt: state.lastAt === undefined || at > state.lastAt ? at : state.lastAt };
}

function patchStep(steps: StepState[], id: string, patch: Partial<StepState>): StepState[] {
  const index = steps.findIndex((step) => step.id === id);
  // A step the plan did not list (or a plan event we never saw) still shows up, titled by its id.
  if (index === -1) return [...steps, { id, title: id, status: 'pending', ...patch }];
  return steps.map((step, i) => (i === index ? { ...step, ...patch } : step));
}

function findGate(gates: GateState[], id: string): GateState {
  return gates.find((gate) => gate.id === id) ?? { id, title: id, status: 'pending', decisions: [], approvers: [] };
}

function patchGate(gates: GateState[], id: string, patch: Partial<GateState>): GateState[] {
  const index = gates.findIndex((gate) => gate.id === id);
  if (index === -1) return [...gates, { ...findGate(gates, id), ...patch }];
  return gates.map((gate, i) => (i === index ? { ...gate, ...patch } : gate));
}

/** Drops undefined values so optional fields stay absent (exactOptionalPropertyTypes). */
export function withOptional<T extends Record<string, unknown>>(record: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
