/** Everything the engine tells the outside world, on one stream per upgrade. The chat layer renders these. */
import type { Plan } from '../runbook/types.js';

export interface HealthResult {
  host: string;
  live: boolean;
  ready: boolean;
  version?: string;
  latencyMs: number;
  error?: string;
}

export interface Requester {
  platform: 'slack' | 'discord' | 'terminal' | 'schedule';
  userId: string;
  displayName?: string;
}

export interface Approval {
  platform: Requester['platform'];
  userId: string;
  displayName?: string;
  at: string;
  planHash: string;
  decision: 'approve' | 'reject';
}

export type UpgradeEvent =
  | { type: 'plan'; upgradeId: string; plan: Plan; requester: Requester; dryRun: boolean }
  | { type: 'step-started'; upgradeId: string; stepId: string; at: string }
  | { type: 'step-finished'; upgradeId: string; stepId: string; at: string; durationMs: number; exitCode?: number; excerpt?: string }
  | { type: 'step-failed'; upgradeId: string; stepId: string; at: string; durationMs: number; exitCode?: number; excerpt: string; error: string }
  | { type: 'step-skipped'; upgradeId: string; stepId: string; reason: string }
  | { type: 'health'; upgradeId: string; results: HealthResult[] }
  | { type: 'gate-waiting'; upgradeId: string; gateId: string; title: string; deadline: string; planHash: string; needed: number }
  | { type: 'gate-approval'; upgradeId: string; gateId: string; approval: Approval; counted: boolean; note?: string }
  | { type: 'gate-passed'; upgradeId: string; gateId: string; approvers: Approval[] }
  | { type: 'gate-rejected'; upgradeId: string; gateId: string; by: Approval }
  | { type: 'gate-expired'; upgradeId: string; gateId: string }
  | { type: 'rollback-proposed'; upgradeId: string; reason: string; rollbackId: string }
  | { type: 'log'; upgradeId: string; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'finished'; upgradeId: string; outcome: 'succeeded' | 'failed' | 'cancelled' | 'rolled-back' | 'expired'; summary: string };

export type UpgradeEventType = UpgradeEvent['type'];
