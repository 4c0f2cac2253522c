/**
 * What the upgrade worker may run next, as a pure function of the plan and the cursor.
 *
 * The plan is cut into segments. A run of consecutive steps that share environment, phase and
 * rolling `batch`, each with a host, outside preflight, is one concurrent segment: each host's
 * steps form a chain that runs in plan order, the chains run side by side (at most the
 * environment's `parallelism` steps at once), and the next segment starts only when every chain
 * of this one is settled. Every other step (preflight probes, fleet-wide watch and record) is a
 * segment of its own, so those keep plan order.
 *
 * Gates inside a batch (blue-green's per-host `switch-traffic`) block only their host's chain:
 * the other chains run on, up to their own gates or to their end. Once nothing can run and
 * nothing is running, the first blocked step's gate (plan order) is returned and the job parks
 * for it; after it passes, that chain continues and the next blocked gate is asked for. So a
 * batch's pre-gate work runs concurrently and approvals are asked one gate at a time, in order.
 */
import type { Plan, PlanGate, PlanStep } from '../runbook/types.js';
import { gatesBefore, type Cursor } from './queue.js';

/** Steps that are scheduled together (see the module comment). */
export interface Segment {
  steps: PlanStep[];
  concurrent: boolean;
  environment: string;
}

/** What the worker knows beyond the plan and the cursor. */
export interface ScheduleInput {
  /** Ids of the steps running now. */
  running: ReadonlySet<string>;
  /** Steps allowed in flight at once in a concurrent segment of `environment` (its `parallelism`). */
  limit: (environment: string) => number;
  /** Gates found while running, by the step they stand before (confirm an interrupted step). */
  pendingGates?: ReadonlyMap<string, PlanGate>;
  /** Set when a scheduled upgrade's window closed: a `switch` step asks first while traffic has not moved. */
  windowClosedAt?: string;
}

export type NextAction =
  /** Start these steps now (distinct hosts' chains, within the limit). */
  | { kind: 'run'; steps: PlanStep[] }
  /** Nothing new may start; wait for a running step. */
  | { kind: 'wait' }
  /** Nothing runs and nothing else can: this gate must pass before `step`. */
  | { kind: 'gate'; gate: PlanGate; step: PlanStep }
  | { kind: 'done' };

function segmentKey(step: PlanStep): string | null {
  if (step.host === undefined || step.batch === undefined || step.phase === undefined || step.phase === 'preflight') return null;
  return `${step.environment}\u0000${step.phase}\u0000${step.batch}`;
}

export function planSegments(plan: Plan): Segment[] {
  const segments: Segment[] = [];
  let lastKey: string | null = null;
  for (const step of plan.steps) {
    const key = segmentKey(step);
    const last = segments[segments.length - 1];
    if (key !== null && key === lastKey && last) last.steps.push(step);
    else segments.push({ steps: [step], concurrent: key !== null, environment: step.environment });
    lastKey = key;
  }
  return segments;
}

/** Done, or skipped because its host failed (maxFailPercent). */
export function isSettled(step: PlanStep, cursor: Cursor, done: ReadonlySet<string> = new Set(cursor.done)): boolean {
  return done.has(step.id) || (step.host !== undefined && (cursor.failedHosts ?? []).includes(step.host));
}

/** Index of the first step that is not settled (the cursor's `next`); `plan.steps.length` when all are. */
export function firstUnsettled(plan: Plan, cursor: Cursor): number {
  const done = new Set(cursor.done);
  const index = plan.steps.findIndex((step) => !isSettled(step, cursor, done));
  return index === -1 ? plan.steps.length : index;
}

/** Gates that must still pass before `step` runs: the plan's, the window's, then a pending confirm. */
export function blockingGates(plan: Plan, step: PlanStep, cursor: Cursor, input: Pick<ScheduleInput, 'pendingGates' | 'windowClosedAt'>): PlanGate[] {
  const passed = new Set(cursor.passedGates);
  const gates = gatesBefore(plan, step).filter((gate) => !passed.has(gate.id));
  const windowId = `window-closed:${step.id}`;
  if (step.kind === 'switch' && !cursor.switched && input.windowClosedAt !== undefined && !passed.has(windowId)) {
    gates.push({ id: windowId, title: `The window closed at ${input.windowClosedAt} before traffic was switched; approve to continue outside the window`, reason: 'confirm', beforeStep: step.id });
  }
  const pending = input.pendingGates?.get(step.id);
  if (pending && !passed.has(pending.id)) gates.push(pending);
  return gates;
}

export function nextAction(plan: Plan, cursor: Cursor, input: ScheduleInput, segments: readonly Segment[] = planSegments(plan)): NextAction {
  const done = new Set(cursor.done);
  for (const segment of segments) {
    const chains = new Map<string, PlanStep[]>();
    for (const step of segment.steps) {
      if (isSettled(step, cursor, done)) continue;
      const key = segment.concurrent ? step.host ?? '' : '';
      chains.set(key, [...(chains.get(key) ?? []), step]);
    }
    if (chains.size === 0) continue;
    const runnable: PlanStep[] = [];
    let blocked: { gate: PlanGate; step: PlanStep } | undefined;
    let busy = 0;
    for (const chain of chains.values()) {
      const head = chain[0] as PlanStep;
      if (input.running.has(head.id)) { busy += 1; continue; }
      const gate = blockingGates(plan, head, cursor, input)[0];
      if (gate) blocked ??= { gate, step: head };
      else runnable.push(head);
    }
    const slots = (segment.concurrent ? Math.max(1, input.limit(segment.environment)) : 1) - busy;
    if (runnable.length > 0 && slots > 0) return { kind: 'run', steps: runnable.slice(0, slots) };
    if (busy > 0) return { kind: 'wait' };
    if (blocked) return { kind: 'gate', ...blocked };
    // Unreachable: an unsettled chain is running, runnable or blocked.
    return { kind: 'wait' };
  }
  return input.running.size > 0 ? { kind: 'wait' } : { kind: 'done' };
}

/** Failed hosts of an environment as a share of all its hosts, and whether `maxFailPercent` tolerates it (0 tolerates none). */
export function failBudget(failedHosts: number, environmentHosts: number, maxFailPercent: number): { percent: number; within: boolean } {
  const percent = environmentHosts <= 0 ? 100 : (failedHosts / environmentHosts) * 100;
  return { percent, within: maxFailPercent > 0 && percent <= maxFailPercent };
}
