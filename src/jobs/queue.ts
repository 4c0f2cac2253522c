/**
 * The upgrade queue: job data shape, BullMQ options and the tuning DESIGN.md §3 measured
 * (defaults lose a job on its second crash and take ~60 s to notice the first).
 */
import type { JobsOptions, WorkerOptions } from 'bullmq';
import type { Plan, PlanGate, PlanStep } from '../runbook/types.js';
import type { Requester } from './events.js';

export const UPGRADE_QUEUE = 'upgrades';

/**
 * Where an upgrade is: saved with `job.updateData` before and after every step. Several steps
 * may be in flight at once (one per host of a rolling batch, src/jobs/next-steps.ts), so what
 * is left to run is derived from `done` and `failedHosts`, not from `next`.
 */
export interface Cursor {
  /** Index of the first step that is neither done nor skipped (kept for readers; informational). */
  next: number;
  /** Steps that were started (every started step that is not done was interrupted). */
  started: string[];
  done: string[];
  passedGates: string[];
  /** Epoch ms deadline of each gate, set when it first waits. */
  gateDeadlines: Record<string, number>;
  /** A step of kind `switch` has run: traffic may be on the new version. */
  switched: boolean;
  /**
   * Hosts whose chain failed while `maxFailPercent` tolerated it: their remaining steps are
   * skipped for the rest of the rollout. Absent in cursors saved before this existed.
   */
  failedHosts?: string[];
  /**
   * BullMQ's attemptsMade when the cursor was last saved: a later attempt that finds the same count
   * and a step started but not done knows its predecessor died (a retry after an error counts up).
   */
  attemptsMade?: number;
}

export interface UpgradeJobData {
  upgradeId: string;
  plan: Plan;
  requester: Requester;
  cursor: Cursor;
}

export type UpgradeOutcome = 'succeeded' | 'failed' | 'cancelled' | 'rolled-back' | 'expired';

export interface UpgradeJobResult {
  outcome: UpgradeOutcome;
  summary: string;
  /** Hosts that failed (skipped under `maxFailPercent`, or the ones that stopped the upgrade). */
  failedHosts?: string[];
}

export function initialCursor(): Cursor {
  return { next: 0, started: [], done: [], passedGates: [], gateDeadlines: {}, switched: false, failedHosts: [] };
}

/** Lock 4 s / stall check 2 s: a crashed worker's job is picked up in ~4 s; crashes never use up the job. */
export const WORKER_TUNING = {
  lockDuration: 4_000,
  stalledInterval: 2_000,
  maxStalledCount: 1_000_000,
} as const satisfies Partial<WorkerOptions>;

/** Transient SSH errors are retried with backoff; everything else fails at once (UnrecoverableError). */
export const UPGRADE_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 30 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const satisfies JobsOptions;

/** Gates standing before a step: those naming it as `beforeStep`, plus any listed in its `after`. */
export function gatesBefore(plan: Plan, step: PlanStep): PlanGate[] {
  const ids = new Set([...plan.gates.filter((gate) => gate.beforeStep === step.id).map((gate) => gate.id), ...(step.after ?? [])]);
  return [...ids].map((id) => plan.gates.find((gate) => gate.id === id) ?? { id, title: id, reason: 'confirm' as const, beforeStep: step.id });
}
