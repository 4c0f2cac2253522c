/**
 * Approval rules for gates (pure) and where approvals live in Redis. Approvals are kept in
 * their own keys, not in job data: `job.updateData` replaces the data whole, and the worker
 * and the chat gateway write at the same time.
 */
import type { Redis } from 'ioredis';
import type { ApprovalsConfig } from '../config/schema.js';
import type { Approval, Requester } from './events.js';

/** A reaction as the chat layer reports it; `planHash` is the hash of the plan the person saw, when known. */
export interface ApprovalCandidate {
  platform: Requester['platform'];
  userId: string;
  displayName?: string;
  decision: Approval['decision'];
  /** Slack user groups or Discord roles of the person. */
  groups?: readonly string[];
  planHash?: string;
  /** The gate whose request message was reacted on; absent for the plan message or `clawops say`. */
  gateId?: string;
  /** Where the reaction was given (`platform:channel:message`), kept in the audit of a late one. */
  message?: string;
}

/** The gate a job is parked at. */
export interface WaitingGate {
  gateId: string;
  title: string;
  planHash: string;
  /** Epoch ms after which approvals no longer count. */
  deadline: number;
  requester: Requester;
  environment: string;
}

export interface StoredApproval extends Approval {
  gateId: string;
  counted: boolean;
  note?: string;
}

export interface Verdict {
  counted: boolean;
  reason?: string;
}

/** Whether this person may approve on their platform (user id, or a listed group/role). */
export function isApprover(config: ApprovalsConfig, candidate: Pick<ApprovalCandidate, 'platform' | 'userId' | 'groups'>): boolean {
  const groups = candidate.groups ?? [];
  switch (candidate.platform) {
    case 'slack':
      return config.slack.users.includes(candidate.userId) || groups.some((group) => config.slack.userGroups.includes(group));
    case 'discord':
      return config.discord.users.includes(candidate.userId) || groups.some((role) => config.discord.roles.includes(role));
    case 'terminal':
      return config.terminal.users.includes(candidate.userId);
    default:
      // A schedule is not a person: it never approves a gate.
      return false;
  }
}

/** Whether one approve/reject counts for the waiting gate, and if not, why (said to the person). */
export function judgeApproval(config: ApprovalsConfig, gate: WaitingGate, candidate: ApprovalCandidate, now: number): Verdict {
  if (now > gate.deadline) return { counted: false, reason: 'the gate has expired' };
  if (candidate.planHash !== undefined && candidate.planHash !== gate.planHash) {
    return { counted: false, reason: `the plan changed (approved ${candidate.planHash}, current ${gate.planHash})` };
  }
  if (!isApprover(config, candidate)) return { counted: false, reason: 'not an approver for this gate' };
  const self = candidate.platform === gate.requester.platform && candidate.userId === gate.requester.userId;
  if (self && candidate.decision === 'approve' && !config.allowSelfApproval) {
    return { counted: false, reason: 'you requested this upgrade; someone else must approve it' };
  }
  return { counted: true };
}

export interface Tally {
  have: number;
  need: number;
  passed: boolean;
  approvers: Approval[];
  rejectedBy?: Approval;
}

/** Distinct counted approvals for the gate under the current plan hash; one counted rejection rejects. */
export function tallyGate(config: ApprovalsConfig, approvals: readonly StoredApproval[], gateId: string, planHash: string): Tally {
  const relevant = approvals.filter((approval) => approval.counted && approval.gateId === gateId && approval.planHash === planHash);
  const rejection = relevant.find((approval) => approval.decision === 'reject');
  const byPerson = new Map<string, Approval>();
  for (const approval of relevant) {
    if (approval.decision === 'approve') byPerson.set(`${approval.platform}:${approval.userId}`, stripStored(approval));
  }
  const approvers = [...byPerson.values()];
  const need = config.minApprovers;
  return {
    have: approvers.length,
    need,
    passed: !rejection && approvers.length >= need,
    approvers,
    ...(rejection ? { rejectedBy: stripStored(rejection) } : {}),
  };
}

function stripStored(approval: StoredApproval): Approval {
  const { gateId: _gateId, counted: _counted, note: _note, ...rest } = approval;
  return rest;
}

/** Why a decision came too late to count: said to the person and kept in the audit. */
export type LateReason = 'gate already passed' | 'gate already rejected' | 'gate already expired' | 'gate already closed' | 'upgrade already finished';

/** A gate as the audit last saw it. */
export interface SeenGate {
  gateId: string;
  status: 'waiting' | 'passed' | 'rejected' | 'expired';
  at: string;
}

export interface LateInput {
  /** The gate parked on now, if any. */
  waiting: Pick<WaitingGate, 'gateId' | 'deadline'> | null;
  gates: readonly SeenGate[];
  finished: boolean;
  /** The gate whose message was reacted on, when known. */
  gateId?: string;
  now: number;
}

/**
 * Whether a decision arrived after the gate it was meant for closed, and which gate that was.
 * A reaction on one gate's request must not count for a later gate: the person saw the first
 * question only. Undefined when it is on time (or early: no gate opened yet).
 */
export function lateDecision(input: LateInput): { gateId?: string; reason: LateReason } | undefined {
  const { waiting, gates } = input;
  const target = input.gateId ?? waiting?.gateId ?? latestClosed(gates)?.gateId;
  if (waiting !== null && target === waiting.gateId) {
    return input.now > waiting.deadline ? { gateId: target, reason: 'gate already expired' } : undefined;
  }
  const seen = gates.find((gate) => gate.gateId === target);
  const where = target === undefined ? {} : { gateId: target };
  if (seen !== undefined && seen.status !== 'waiting') return { ...where, reason: `gate already ${seen.status}` };
  if (input.finished) return { ...where, reason: 'upgrade already finished' };
  // Reacted on a gate that is neither open nor closed per the audit: still not the open gate's question.
  if (input.gateId !== undefined && waiting !== null) return { ...where, reason: 'gate already closed' };
  return undefined;
}

function latestClosed(gates: readonly SeenGate[]): SeenGate | undefined {
  return gates.filter((gate) => gate.status !== 'waiting').reduce<SeenGate | undefined>((last, gate) => (last === undefined || gate.at >= last.at ? gate : last), undefined);
}

/** Redis keys per queue name + job id (BullMQ ids restart after `obliterate`). */
export class ApprovalStore {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly queueName: string) {}

  private key(kind: 'approvals' | 'gate', jobId: string): string {
    return `${this.prefix}:${kind}:${this.queueName}:${jobId}`;
  }

  async setWaiting(jobId: string, gate: WaitingGate): Promise<void> {
    await this.redis.set(this.key('gate', jobId), JSON.stringify(gate), 'EX', 7 * 24 * 3600);
  }

  async getWaiting(jobId: string): Promise<WaitingGate | null> {
    const raw = await this.redis.get(this.key('gate', jobId));
    return raw ? JSON.parse(raw) as WaitingGate : null;
  }

  async clearWaiting(jobId: string): Promise<void> {
    await this.redis.del(this.key('gate', jobId));
  }

  async add(jobId: string, approval: StoredApproval): Promise<void> {
    const key = this.key('approvals', jobId);
    await this.redis.multi().rpush(key, JSON.stringify(approval)).expire(key, 30 * 24 * 3600).exec();
  }

  async list(jobId: string): Promise<StoredApproval[]> {
    const raw = await this.redis.lrange(this.key('approvals', jobId), 0, -1);
    return raw.map((item) => JSON.parse(item) as StoredApproval);
  }
}
