/**
 * Gates inside the worker: a gate that is not yet approved parks the job without holding a
 * worker (`moveToDelayed` to the gate's deadline + DelayedError); `decide()` promotes it when
 * the approvals complete. Past the deadline the job runs, sees the gate expired, and stops.
 */
import { DelayedError, type Job } from 'bullmq';
import type { ApprovalsConfig } from '../config/schema.js';
import type { PlanGate } from '../runbook/types.js';
import type { ApprovalResult } from './api.js';
import { lateDecision, tallyGate, type ApprovalCandidate, type WaitingGate } from './approvals.js';
import type { Approval } from './events.js';
import type { UpgradeJobData } from './queue.js';
import type { JobServices } from './services.js';

export type GateOutcome =
  | { kind: 'passed' }
  | { kind: 'rejected'; by: string }
  | { kind: 'expired' };

export interface GateDeps {
  services: JobServices;
  approvalsConfig: ApprovalsConfig;
  /** How long a gate waits; default `approvals.deadlineMinutes`. */
  gateTimeoutMs: number;
}

/**
 * Resolves when the gate is decided; throws DelayedError after parking the job when it is not.
 * `save` persists the cursor (deadlines and passed gates live there).
 */
export async function passGate(job: Job<UpgradeJobData>, token: string | undefined, gate: PlanGate, deps: GateDeps, save: () => Promise<void>): Promise<GateOutcome> {
  const { services } = deps;
  const { upgradeId, plan, cursor, requester } = job.data;
  const jobId = job.id ?? upgradeId;
  const tally = tallyGate(deps.approvalsConfig, await services.approvals.list(jobId), gate.id, plan.hash);
  if (tally.rejectedBy) {
    await services.approvals.clearWaiting(jobId);
    await services.emit({ type: 'gate-rejected', upgradeId, gateId: gate.id, by: tally.rejectedBy });
    return { kind: 'rejected', by: tally.rejectedBy.displayName ?? tally.rejectedBy.userId };
  }
  if (tally.passed) {
    cursor.passedGates.push(gate.id);
    await save();
    await services.approvals.clearWaiting(jobId);
    await services.emit({ type: 'gate-passed', upgradeId, gateId: gate.id, approvers: tally.approvers });
    return { kind: 'passed' };
  }
  const now = services.now();
  let deadline = cursor.gateDeadlines[gate.id];
  if (deadline === undefined) {
    deadline = now + deps.gateTimeoutMs;
    cursor.gateDeadlines[gate.id] = deadline;
    await save();
    await services.approvals.setWaiting(jobId, { gateId: gate.id, title: gate.title, planHash: plan.hash, deadline, requester, environment: plan.environment });
    await services.emit({ type: 'gate-waiting', upgradeId, gateId: gate.id, title: gate.title, deadline: new Date(deadline).toISOString(), planHash: plan.hash, needed: tally.need });
  } else if (now >= deadline) {
    await services.approvals.clearWaiting(jobId);
    await services.emit({ type: 'gate-expired', upgradeId, gateId: gate.id });
    return { kind: 'expired' };
  } else {
    await services.approvals.setWaiting(jobId, { gateId: gate.id, title: gate.title, planHash: plan.hash, deadline, requester, environment: plan.environment });
  }
  // The injected clock may differ from the wall clock BullMQ schedules by: convert to a delay.
  await job.moveToDelayed(Date.now() + Math.max(0, deadline - now), token);
  // An approval or cancel that arrived while the job was still active could not promote it.
  const again = tallyGate(deps.approvalsConfig, await services.approvals.list(jobId), gate.id, plan.hash);
  if (again.passed || again.rejectedBy || (await services.cancelRequestedBy(upgradeId)) !== null) {
    await job.promote().catch(() => undefined);
  }
  throw new DelayedError();
}

/**
 * A decision that came after its gate closed (passed, rejected, expired) or after the upgrade
 * finished: kept in the audit as late and answered as such, instead of being dropped or counted
 * for the gate open now. Null when the decision is on time (or early) and should be judged.
 */
export async function settleLate(services: JobServices, upgradeId: string, waiting: WaitingGate | null, candidate: ApprovalCandidate, now: number): Promise<ApprovalResult | null> {
  const record = await services.audit.get(upgradeId);
  if (record === null) return null;
  const late = lateDecision({
    waiting, gates: record.gates, finished: record.outcome !== undefined || (await services.isFinished(upgradeId)), now,
    ...(candidate.gateId === undefined ? {} : { gateId: candidate.gateId }),
  });
  if (late === undefined) return null;
  const approval: Approval = {
    platform: candidate.platform, userId: candidate.userId, decision: candidate.decision, at: new Date(now).toISOString(),
    planHash: candidate.planHash ?? waiting?.planHash ?? record.planHash, ...(candidate.displayName ? { displayName: candidate.displayName } : {}),
  };
  const gateId = late.gateId ?? '';
  await services.audit.recordLate(upgradeId, { ...approval, gateId, note: late.reason, ...(candidate.message ? { message: candidate.message } : {}) });
  const title = record.gates.find((gate) => gate.gateId === gateId)?.title;
  return { counted: false, late: true, reason: late.reason, ...(late.gateId === undefined ? {} : { gateId }), ...(title === undefined ? {} : { gateTitle: title }) };
}
