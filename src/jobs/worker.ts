/**
 * The upgrade worker: a BullMQ Worker running `runUpgrade`, tuned so crashes are survived
 * (DESIGN.md §3), plus the clean-up that must happen however a job ends: the upgrade's locks
 * (its environment's and its hosts', freed by upgrade id) are freed and `finished` is emitted
 * when a job fails outside the processor (retries exhausted, stall limit), and a reaper frees
 * locks whose job is gone.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClawopsConfig } from '../config/schema.js';
import type { RemoteShell } from '../remote/types.js';
import { finishUpgrade, runUpgrade } from './run-upgrade.js';
import { UPGRADE_QUEUE, WORKER_TUNING, type UpgradeJobData, type UpgradeJobResult } from './queue.js';
import { createServices, type JobServices } from './services.js';

export interface WorkerDeps {
  /** Connection for BullMQ (needs `maxRetriesPerRequest: null`); duplicated for the blocking client. */
  connection: Redis;
  config: ClawopsConfig;
  shell: RemoteShell;
  logger: Logger;
  clock?: () => number;
  concurrency?: number;
  /** How long a gate waits for approval; default `config.approvals.deadlineMinutes`. */
  gateTimeoutMs?: number;
  /** How often the lock reaper runs; default 30 s. */
  reapIntervalMs?: number;
}

export interface UpgradeWorker {
  worker: Worker<UpgradeJobData, UpgradeJobResult>;
  services: JobServices;
  /** Frees environment and host locks whose upgrade job is gone or finished. */
  reapLocks(): Promise<string[]>;
  /** Stops between steps: running jobs go back to the queue for another worker. */
  stop(): Promise<void>;
}

const LIVE_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/** Whether an upgrade's job still exists and is not finished. */
export async function isUpgradeAlive(queue: Queue, upgradeId: string): Promise<boolean> {
  const state = await queue.getJobState(upgradeId);
  return LIVE_STATES.has(state);
}

export function startUpgradeWorker(deps: WorkerDeps): UpgradeWorker {
  const prefix = deps.config.redis.prefix;
  const services = createServices(deps.connection, prefix, deps.clock ?? Date.now);
  const gateTimeoutMs = deps.gateTimeoutMs ?? deps.config.approvals.deadlineMinutes * 60_000;
  const logger = deps.logger.child({ component: 'worker' });
  const worker = new Worker<UpgradeJobData, UpgradeJobResult>(
    UPGRADE_QUEUE,
    (job, token, signal) => runUpgrade(job, token, signal, { services, config: deps.config, shell: deps.shell, logger, gateTimeoutMs }),
    { connection: deps.connection, prefix, concurrency: deps.concurrency ?? 4, ...WORKER_TUNING },
  );
  const queue = new Queue(UPGRADE_QUEUE, { connection: deps.connection, prefix });
  const reapLocks = () => services.locks.reap((id) => isUpgradeAlive(queue, id), { now: services.now(), graceMs: 60_000 });

  worker.on('failed', (job: Job<UpgradeJobData> | undefined, error: Error) => {
    void (async () => {
      if (!job) { await reapLocks(); return; }
      // 'failed' fires for every failed attempt; only a job that stays failed is finished.
      if ((await job.getState()) !== 'failed') return;
      await finishUpgrade(services, job.data, 'failed', `failed: ${error.message}`, job.id);
    })().catch((err: unknown) => logger.error({ err }, 'failed-job clean-up'));
  });
  worker.on('completed', (job: Job<UpgradeJobData>) => {
    // By upgrade id: frees the environment lock and the host locks taken with it.
    void services.locks.release(job.data.plan.environment, job.data.upgradeId).catch((err: unknown) => logger.error({ err }, 'lock release'));
  });
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  const reaper = setInterval(() => { void reapLocks().catch((err: unknown) => logger.warn({ err }, 'lock reaper')); }, deps.reapIntervalMs ?? 30_000);
  reaper.unref();

  return {
    worker,
    services,
    reapLocks,
    async stop() {
      clearInterval(reaper);
      worker.cancelAllJobs('worker stopping');
      await worker.close();
      await queue.close();
    },
  };
}
