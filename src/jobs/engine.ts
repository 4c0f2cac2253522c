/**
 * UpgradeEngine over BullMQ: plans (through the injected planner), takes the environment
 * lock and the lock of every host the plan touches (src/jobs/lock.ts), enqueues one job per
 * upgrade, records approvals and cancels in Redis, and serves the event stream. Runs a worker
 * in the same process unless `worker: false` (separate `clawops worker` processes then run the jobs).
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Command } from '../commands/types.js';
import type { ClawopsConfig } from '../config/schema.js';
import { ClawopsError, isClawopsError } from '../errors.js';
import type { RemoteShell } from '../remote/types.js';
import type { Plan } from '../runbook/types.js';
import type { AuditStore } from '../audit/store.js';
import type { ApprovalResult, SubmitResult, UpgradeEngine } from './api.js';
import { judgeApproval, tallyGate, type ApprovalCandidate } from './approvals.js';
import type { EventHandler, SubscribeOptions } from './event-stream.js';
import type { Approval, Requester } from './events.js';
import { UPGRADE_JOB_OPTIONS, UPGRADE_QUEUE, initialCursor, type UpgradeJobData } from './queue.js';
import type { DeadlinedJobData } from './run-upgrade.js';
import { settleLate } from './gates.js';
import { hostsOf, lockRefusal } from './lock.js';
import { createServices } from './services.js';
import { isUpgradeAlive, startUpgradeWorker, type UpgradeWorker } from './worker.js';

export type UpgradeCommand = Extract<Command, { kind: 'upgrade' | 'rollback' }>;

/** Collects facts and builds the plan (wired in the composition root). Returns or throws a ClawopsError to refuse. */
export type Planner = (command: UpgradeCommand, requester: Requester, context: { upgradeId: string; signal?: AbortSignal }) => Promise<Plan | ClawopsError>;

export interface EngineOptions {
  redisUrl?: string;
  /** An existing connection (must have `maxRetriesPerRequest: null`); not closed by `close()`. */
  connection?: Redis;
  config: ClawopsConfig;
  shell: RemoteShell;
  planner: Planner;
  logger: Logger;
  clock?: () => number;
  /** Run a worker in this process (default true). */
  worker?: boolean | { concurrency?: number };
  gateTimeoutMs?: number;
  newUpgradeId?: () => string;
}

export interface Engine extends UpgradeEngine {
  subscribe(upgradeId: string, handler: EventHandler, options?: SubscribeOptions): () => void;
  decide(upgradeId: string, approval: ApprovalCandidate): Promise<ApprovalResult>;
  audit: AuditStore;
  queue: Queue<UpgradeJobData>;
  reapLocks(): Promise<string[]>;
}

const REFUSAL_CODES = ['ENVIRONMENT_LOCKED', 'PLAN_INVALID', 'NOT_AUTHORIZED', 'UNKNOWN_ENVIRONMENT', 'UNKNOWN_HOST', 'NOT_FOUND'] as const;
type RefusalCode = typeof REFUSAL_CODES[number];

export function newUpgradeId(now = Date.now()): string {
  const stamp = new Date(now).toISOString().slice(0, 16).replace(/[-:T]/g, '');
  return `up-${stamp}-${randomBytes(3).toString('hex')}`;
}

export async function createEngine(options: EngineOptions): Promise<Engine> {
  const { config, logger } = options;
  const ownConnection = options.connection === undefined;
  const connection = options.connection ?? new Redis(options.redisUrl ?? config.redis.url, { maxRetriesPerRequest: null });
  const now = options.clock ?? Date.now;
  const prefix = config.redis.prefix;
  const services = createServices(connection, prefix, now);
  const queue = new Queue<UpgradeJobData>(UPGRADE_QUEUE, { connection, prefix });
  let worker: UpgradeWorker | undefined;
  if (options.worker !== false) {
    const concurrency = typeof options.worker === 'object' ? options.worker.concurrency : undefined;
    worker = startUpgradeWorker({
      connection, config, shell: options.shell, logger, clock: now,
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(options.gateTimeoutMs === undefined ? {} : { gateTimeoutMs: options.gateTimeoutMs }),
    });
  }
  const reapLocks = () => services.locks.reap((id) => isUpgradeAlive(queue, id), { now: now(), graceMs: 60_000 });
  const iso = () => new Date(now()).toISOString();
  const who = (requester: Requester) => requester.displayName ?? requester.userId;

  const refuse = async (command: UpgradeCommand, requester: Requester, code: RefusalCode, message: string, environment?: string): Promise<SubmitResult> => {
    await services.audit.recordRefusal({ requester, command: describe(command), code, message, ...(environment ? { environment } : {}) });
    return { ok: false, code, message };
  };

  const promote = async (upgradeId: string) => {
    const job = await queue.getJob(upgradeId);
    // Still active (not parked yet): the worker re-checks right after parking.
    await job?.promote().catch(() => undefined);
  };

  return {
    audit: services.audit,
    queue,
    reapLocks,

    async submit(command, requester, submitOptions) {
      const upgradeId = submitOptions?.upgradeId ?? (options.newUpgradeId ?? (() => newUpgradeId(now())))();
      if (submitOptions?.upgradeId !== undefined && !command.dryRun) {
        const existing = await queue.getJob(upgradeId);
        if (existing) return { ok: true, upgradeId, plan: existing.data.plan };
      }
      let plan: Plan;
      try {
        const planned = await options.planner(command, requester, { upgradeId });
        if (planned instanceof Error) throw planned;
        plan = planned;
      } catch (error) {
        if (!isClawopsError(error)) throw error;
        const code = (REFUSAL_CODES as readonly string[]).includes(error.code) ? error.code as RefusalCode : 'PLAN_INVALID';
        return refuse(command, requester, code, error.message, command.environment);
      }
      if (command.dryRun) {
        if (submitOptions?.quiet !== true) await services.events.publish({ type: 'plan', upgradeId, plan, requester, dryRun: true });
        return { ok: true, upgradeId, plan };
      }
      // The environment lock and one lock per host the plan touches (staging hosts included), all or nothing.
      const holder = { upgradeId, who: who(requester), since: iso(), environment: plan.environment, kind: plan.kind };
      const hosts = hostsOf(plan);
      let lock = await services.locks.acquire(plan.environment, holder, hosts);
      if (!lock.ok && !(await isUpgradeAlive(queue, lock.holder.upgradeId)) && Date.now() - Date.parse(lock.holder.since) > 60_000) {
        // A holder whose job is gone: free all of its locks (by its id), then try once more.
        await services.locks.release(lock.holder.environment ?? plan.environment, lock.holder.upgradeId);
        lock = await services.locks.acquire(plan.environment, holder, hosts);
      }
      if (!lock.ok) return refuse(command, requester, 'ENVIRONMENT_LOCKED', lockRefusal(plan.environment, lock, now()), plan.environment);
      try {
        await services.emit({ type: 'plan', upgradeId, plan, requester, dryRun: false });
        const data: DeadlinedJobData = { upgradeId, plan, requester, cursor: initialCursor(), ...(submitOptions?.notAfter ? { notAfter: submitOptions.notAfter } : {}) };
        await queue.add(plan.kind, data, { ...UPGRADE_JOB_OPTIONS, jobId: upgradeId });
      } catch (error) {
        await services.locks.release(plan.environment, upgradeId);
        throw error;
      }
      logger.info({ upgradeId, environment: plan.environment, toVersion: plan.toVersion, by: who(requester) }, 'upgrade enqueued');
      return { ok: true, upgradeId, plan };
    },

    async decide(upgradeId, candidate) {
      const gate = await services.approvals.getWaiting(upgradeId);
      const late = await settleLate(services, upgradeId, gate, candidate, now());
      if (late) return late;
      if (!gate) return { counted: false, reason: 'no gate is waiting for approval on this upgrade' };
      const verdict = judgeApproval(config.approvals, gate, candidate, now());
      const approval: Approval = {
        platform: candidate.platform, userId: candidate.userId, decision: candidate.decision, at: iso(),
        planHash: candidate.planHash ?? gate.planHash, ...(candidate.displayName ? { displayName: candidate.displayName } : {}),
      };
      await services.approvals.add(upgradeId, { ...approval, gateId: gate.gateId, counted: verdict.counted, ...(verdict.reason ? { note: verdict.reason } : {}) });
      await services.emit({ type: 'gate-approval', upgradeId, gateId: gate.gateId, approval, counted: verdict.counted, ...(verdict.reason ? { note: verdict.reason } : {}) });
      const tally = tallyGate(config.approvals, await services.approvals.list(upgradeId), gate.gateId, gate.planHash);
      if (verdict.counted && (tally.passed || tally.rejectedBy)) await promote(upgradeId);
      return { counted: verdict.counted, gateId: gate.gateId, have: tally.have, need: tally.need, ...(verdict.reason ? { reason: verdict.reason } : {}) };
    },

    async cancel(upgradeId, by) {
      if (!(await isUpgradeAlive(queue, upgradeId)) || (await services.isFinished(upgradeId))) {
        return { ok: false, message: `upgrade ${upgradeId} is not running` };
      }
      await services.requestCancel(upgradeId, who(by));
      await services.emit({ type: 'log', upgradeId, level: 'warn', message: `cancel requested by ${who(by)}; the upgrade stops before its next step` });
      await promote(upgradeId);
      return { ok: true, message: `cancelling ${upgradeId}: it stops before its next step` };
    },

    subscribe(upgradeId, handler, subscribeOptions) {
      return services.events.subscribe(upgradeId, handler, subscribeOptions);
    },

    async close() {
      await worker?.stop();
      await services.events.close();
      await queue.close();
      if (ownConnection) await connection.quit();
    },
  };
}

function describe(command: UpgradeCommand): string {
  if (command.kind === 'upgrade') return `upgrade ${command.version}${command.environment ? ` --env ${command.environment}` : ''}`;
  return `rollback${command.environment ? ` --env ${command.environment}` : ''}${command.toVersion ? ` --to ${command.toVersion}` : ''}`;
}

