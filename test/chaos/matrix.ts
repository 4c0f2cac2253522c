/**
 * The kill-point matrix of issue 11 (D7): which fault hits which upgrade where. A cell names a
 * strategy, a fault and the step (read from the plan the engine built) it is tied to. The full
 * matrix covers every step boundary and every step's middle with a worker SIGKILL, plus Redis,
 * SSH and network faults; the reduced one keeps the five cells that have found bugs before.
 */
export type Strategy = 'pm2' | 'blue-green';

/**
 * What slows the host command a cell kills in the middle of, so the kill lands while it still
 * runs past the takeover time (4 s lock + 2 s stall check): the target release's tarball is served
 * 8 s late (`install`) or the target release needs 7 s before /readyz turns 200 (`startup`).
 */
export type Slow = 'install' | 'startup';

export type Fault =
  /**
   * SIGKILL to the worker's process group right after the step's `step-started` (mid) or
   * `step-finished` (after) event, or the moment the host journal says the step's command ended
   * (host-end): done on the host, maybe not yet recorded, the point where an unsafe step could repeat.
   */
  | { kind: 'kill'; stepId: string; at: 'mid' | 'after' | 'host-end' }
  /** Redis stopped (a clean SHUTDOWN SAVE, as a restart of a persisted Redis) for `ms`, mid-step or while parked at the first gate. */
  | { kind: 'redis-down'; ms: number; stepId: string }
  | { kind: 'redis-down-gate'; ms: number }
  /** Every SSH connection to the step's host cut (their sshd session processes killed) mid-step. */
  | { kind: 'ssh-drop'; stepId: string }
  /** The host's veth down for `ms` mid-step: no packet in or out (SSH and its npm registry). */
  | { kind: 'net-cut'; ms: number; stepId: string };

export interface Cell {
  id: string;
  strategy: Strategy;
  fault: Fault;
  slow?: Slow;
  /** The pm2 gate cell upgrades to a release whose changelog has a breaking change (a gate before the first step). */
  gated?: boolean;
}

export const FROM_VERSION = '1.3.0';
export const TO_VERSION = '1.3.1';
/**
 * Same schema line as the others (1.3.x), only the changelog differs; above every other target,
 * since the planner reads the changelogs of every release between the running one and the target.
 */
export const GATED_VERSION = '1.3.9';
/** The release a `slow` cell upgrades to (see {@link Slow}). */
export const SLOW_VERSIONS: Readonly<Record<Slow, string>> = { install: '1.3.3', startup: '1.3.4' };
export const SLOW_TARBALL_MS = 8_000;
export const SLOW_STARTUP_MS = 7_000;
/** How long after `step-started` a slowed cell kills: past the 4 s lock and the 2 s stall check. */
export const SLOW_KILL_AFTER_MS = 5_500;
export const REDIS_DOWN_MS = 10_000;
export const NET_CUT_MS = 15_000;

/**
 * Cells that fail for a cause in product code, reported to its owners (docs/benchmarks.md, "Chaos
 * matrix"). They still run and print as ❌ with the cause; being listed only keeps the test green.
 * Matched by pattern where the failure depends on where a kill lands, not on the step.
 */
export const KNOWN_FAILURES: ReadonlyArray<{ cells: RegExp; cause: string }> = [];

export function knownFailure(cellId: string): string | undefined {
  return KNOWN_FAILURES.find((known) => known.cells.test(cellId))?.cause;
}

export function targetOf(cell: Pick<Cell, 'slow' | 'gated'>): string {
  if (cell.slow) return SLOW_VERSIONS[cell.slow];
  return cell.gated ? GATED_VERSION : TO_VERSION;
}

const short = (strategy: Strategy) => strategy === 'pm2' ? 'pm2' : 'bg';

export function cellId(strategy: Strategy, fault: Fault, slow?: Slow): string {
  const slowed = slow ? ` (slowed: ${slow})` : '';
  const where = (() => {
    switch (fault.kind) {
      case 'kill': return `kill ${fault.at === 'host-end' ? 'at host end of' : fault.at} ${fault.stepId}`;
      case 'redis-down': return `redis down ${fault.ms / 1000} s mid ${fault.stepId}`;
      case 'redis-down-gate': return `redis down ${fault.ms / 1000} s at gate`;
      case 'ssh-drop': return `ssh drop mid ${fault.stepId}`;
      case 'net-cut': return `net cut ${fault.ms / 1000} s mid ${fault.stepId}`;
    }
  })();
  return `${short(strategy)} ${where}${slowed}`;
}

function cell(strategy: Strategy, fault: Fault, extra: Pick<Cell, 'slow' | 'gated'> = {}): Cell {
  return { id: cellId(strategy, fault, extra.slow), strategy, fault, ...extra };
}

/** Every step's middle and end, in plan order; and for a step that must not repeat, the moment its command ended on the host. */
export function boundaryCells(strategy: Strategy, steps: ReadonlyArray<{ id: string; safeToRepeat: boolean }>): Cell[] {
  return steps.flatMap((step) => (step.safeToRepeat ? ['mid', 'after'] as const : ['mid', 'host-end', 'after'] as const)
    .map((at) => cell(strategy, { kind: 'kill', stepId: step.id, at })));
}

/** The slowed kills, Redis, SSH and network faults of one strategy (host-a's steps). */
export function faultCells(strategy: Strategy): Cell[] {
  const on = (suffix: string) => `host-a:${suffix}`;
  const slowStep = strategy === 'pm2' ? on('ready') : on('idle-ready');
  const midStep = strategy === 'pm2' ? on('reload') : on('handoff-freeze');
  return [
    cell(strategy, { kind: 'kill', stepId: on('install'), at: 'mid' }, { slow: 'install' }),
    cell(strategy, { kind: 'kill', stepId: slowStep, at: 'mid' }, { slow: 'startup' }),
    cell(strategy, { kind: 'redis-down', ms: REDIS_DOWN_MS, stepId: on('install') }, { slow: 'install' }),
    cell(strategy, { kind: 'redis-down', ms: REDIS_DOWN_MS, stepId: midStep }),
    cell(strategy, { kind: 'redis-down-gate', ms: REDIS_DOWN_MS }, strategy === 'pm2' ? { gated: true } : {}),
    cell(strategy, { kind: 'ssh-drop', stepId: on('install') }, { slow: 'install' }),
    cell(strategy, { kind: 'ssh-drop', stepId: midStep }),
    cell(strategy, { kind: 'net-cut', ms: NET_CUT_MS, stepId: on('install') }, { slow: 'install' }),
    cell(strategy, { kind: 'net-cut', ms: NET_CUT_MS, stepId: slowStep }, { slow: 'startup' }),
  ];
}

/** The handful of most telling cells, run by `npm test` (test/chaos/reduced.test.ts). */
export function reducedCells(): Cell[] {
  return [
    cell('pm2', { kind: 'kill', stepId: 'host-a:install', at: 'mid' }, { slow: 'install' }),
    cell('pm2', { kind: 'kill', stepId: 'host-a:reload', at: 'mid' }),
    cell('blue-green', { kind: 'kill', stepId: 'host-a:nginx-reload', at: 'after' }),
    cell('pm2', { kind: 'redis-down', ms: REDIS_DOWN_MS, stepId: 'host-a:install' }, { slow: 'install' }),
    cell('pm2', { kind: 'net-cut', ms: NET_CUT_MS, stepId: 'host-a:install' }, { slow: 'install' }),
  ];
}
