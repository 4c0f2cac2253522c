/**
 * What the chat layer and the CLI may ask of the upgrade engine. Draft contract: the engine
 * implements it over BullMQ; `clawops say`, the bot and tests all go through it.
 */
import type { Command } from '../commands/types.js';
import type { Plan } from '../runbook/types.js';
import type { Approval, Requester, UpgradeEvent } from './events.js';

export type SubmitResult =
  | { ok: true; upgradeId: string; plan: Plan; scheduledFor?: string }
  | { ok: false; code: 'ENVIRONMENT_LOCKED' | 'PLAN_INVALID' | 'NOT_AUTHORIZED' | 'UNKNOWN_ENVIRONMENT' | 'UNKNOWN_HOST' | 'NOT_FOUND'; message: string };

export interface ApprovalResult {
  counted: boolean;
  /** Why it did not count (not an approver, own upgrade, plan changed, no gate waiting…). */
  reason?: string;
  gateId?: string;
  /** Distinct approvals so far and how many are needed. */
  have?: number;
  need?: number;
  /** It came after its gate closed or the upgrade finished: recorded in the audit only, not in the thread. */
  late?: boolean;
  gateTitle?: string;
}

/** Optional extras for `submit`, used by the scheduler (src/schedule). */
export interface SubmitOptions {
  /**
   * Use this upgrade id instead of a new one. A scheduled upgrade dry-runs and later runs under
   * the same id, so the plan (its backup id is the upgrade id) and its hash stay the same; a
   * second submit of an id whose job already exists returns that upgrade instead of a new one.
   */
  upgradeId?: string;
  /** ISO time: the worker stops before the first `switch` step after this and asks to continue (the window closed). */
  notAfter?: string;
  /**
   * A dry run only for the caller (the scheduler's announcement): no plan event. The upgrade's
   * thread replays its id's events when it starts, and must not open with "dry run".
   */
  quiet?: boolean;
}

export interface UpgradeEngine {
  /** Plans (reading facts from hosts) and enqueues an upgrade or rollback; a dry run only plans. */
  submit(command: Extract<Command, { kind: 'upgrade' | 'rollback' }>, requester: Requester, options?: SubmitOptions): Promise<SubmitResult>;
  /**
   * An approve or reject reaction on the upgrade's thread (or a mirrored one). `groups`: the
   * person's Slack user groups / Discord roles. `planHash`: the hash of the plan the person saw,
   * when the message carried it; an approval for another hash does not count. `gateId`: the gate
   * whose request was reacted on; after that gate closed the decision is late (audited, not counted).
   */
  decide(upgradeId: string, approval: Omit<Approval, 'planHash' | 'at'> & { groups?: string[]; planHash?: string; gateId?: string; message?: string }): Promise<ApprovalResult>;
  cancel(upgradeId: string, by: Requester): Promise<{ ok: boolean; message: string }>;
  /**
   * Events of one upgrade (replayed from its first event, then live), or of all upgrades when
   * upgradeId is '*' (live from now, or after `options.fromId`: a restarted gateway passes the
   * last `meta.id` it saw and catches up). Returns an unsubscribe function.
   */
  subscribe(upgradeId: string, handler: (event: UpgradeEvent, meta: { id: string }) => void, options?: { fromId?: string }): () => void;
  close(): Promise<void>;
}
