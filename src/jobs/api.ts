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
}

export interface UpgradeEngine {
  /** Plans (reading facts from hosts) and enqueues an upgrade or rollback; a dry run only plans. */
  submit(command: Extract<Command, { kind: 'upgrade' | 'rollback' }>, requester: Requester): Promise<SubmitResult>;
  /** An approve or reject reaction on the upgrade's thread (or a mirrored one). */
  decide(upgradeId: string, approval: Omit<Approval, 'planHash' | 'at'> & { groups?: string[] }): Promise<ApprovalResult>;
  cancel(upgradeId: string, by: Requester): Promise<{ ok: boolean; message: string }>;
  /** Live events of one upgrade, or of all upgrades when upgradeId is '*'. Returns an unsubscribe function. */
  subscribe(upgradeId: string, handler: (event: UpgradeEvent) => void): () => void;
  close(): Promise<void>;
}
