/**
 * The durable half of the scheduler: delayed BullMQ jobs for the start and each reminder, the
 * processor that announces or starts, and the follower that applies advance approvals and
 * announces the finish. Job ids are deterministic (start = schedule id, reminders carry the
 * revision) and every announcement is claimed in Redis before it is posted.
 */
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClawopsConfig } from '../config/schema.js';
import type { UpgradeEngine } from '../jobs/api.js';
import type { UpgradeEvent } from '../jobs/events.js';
import { WORKER_TUNING } from '../jobs/queue.js';
import type { ScheduleStore } from './store.js';
import type { AnnouncementExtra, AnnouncementKind, Announcer, ScheduledUpgrade } from './types.js';

// Not `schedule`: BullMQ keys `<prefix>:<queue>:<jobId>` would collide with the store's `<prefix>:schedule:<id>`.
export const SCHEDULE_QUEUE = 'scheduled-upgrades';

export interface ScheduleJobData {
  scheduleId: string;
  kind: 'start' | 'reminder';
  revision: number;
  /** Epoch ms (by the injected clock) at which it is due. */
  dueAt: number;
  minutesBefore?: number;
}

/** A job that runs this much before its time (clock skew between processes) still counts as due. */
const EARLY_TOLERANCE_MS = 1_000;
const JOB_OPTIONS = { attempts: 5, backoff: { type: 'exponential', delay: 2_000 }, removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 30 * 24 * 3600 } } as const;

export interface RunnerDeps {
  connection: Redis;
  config: ClawopsConfig;
  engine: UpgradeEngine;
  announcer: Announcer;
  store: ScheduleStore;
  clock: () => number;
  logger: Logger;
  queueName: string;
  worker: boolean;
}

export interface Runner {
  queue: Queue<ScheduleJobData>;
  announceOnce(schedule: ScheduledUpgrade, key: string, kind: AnnouncementKind, extra?: AnnouncementExtra): Promise<boolean>;
  enqueue(schedule: ScheduledUpgrade): Promise<void>;
  removeJobs(schedule: ScheduledUpgrade): Promise<void>;
  follow(schedule: ScheduledUpgrade): void;
  tick(): Promise<number>;
  close(): Promise<void>;
}

export function reminderJobId(schedule: Pick<ScheduledUpgrade, 'id' | 'revision'>, minutes: number): string {
  return `${schedule.id}-r${schedule.revision}-m${minutes}`;
}

export function createRunner(deps: RunnerDeps): Runner {
  const { store, engine, clock, config } = deps;
  const prefix = config.redis.prefix;
  const log = deps.logger.child({ component: 'scheduler' });
  const queue = new Queue<ScheduleJobData>(deps.queueName, { connection: deps.connection, prefix });
  const following = new Map<string, () => void>();

  async function announceOnce(schedule: ScheduledUpgrade, key: string, kind: AnnouncementKind, extra?: AnnouncementExtra): Promise<boolean> {
    if (!(await store.claimAnnouncement(schedule.id, key))) return false;
    const posts = await deps.announcer.announce(kind, schedule, extra);
    await store.saveMessages(schedule.id, posts);
    return true;
  }

  async function add(name: string, data: ScheduleJobData, jobId: string): Promise<void> {
    await queue.add(name, data, { ...JOB_OPTIONS, jobId, delay: Math.max(0, data.dueAt - clock()) });
  }

  async function enqueue(schedule: ScheduledUpgrade): Promise<void> {
    const at = Date.parse(schedule.at);
    await add('start', { scheduleId: schedule.id, kind: 'start', revision: schedule.revision, dueAt: at }, schedule.id);
    for (const minutes of config.schedule.remindersMinutes) {
      const dueAt = at - minutes * 60_000;
      // A reminder whose time has passed would only be noise (T-24h for an upgrade in 2 hours).
      if (dueAt <= clock()) continue;
      await add('reminder', { scheduleId: schedule.id, kind: 'reminder', revision: schedule.revision, dueAt, minutesBefore: minutes }, reminderJobId(schedule, minutes));
    }
  }

  async function removeJobs(schedule: ScheduledUpgrade): Promise<void> {
    const ids = [schedule.id, ...config.schedule.remindersMinutes.map((minutes) => reminderJobId(schedule, minutes))];
    for (const id of ids) {
      const job = await queue.getJob(id);
      // A job running right now cannot be removed; it sees the new revision/status and does nothing.
      await job?.remove().catch((error: unknown) => log.warn({ err: error, jobId: id }, 'could not remove a schedule job'));
    }
  }

  async function onEvent(scheduleId: string, event: UpgradeEvent): Promise<void> {
    if (event.type === 'gate-waiting') {
      // The window-closed question is about now, not about the plan people saw days ago.
      if (event.gateId.startsWith('window-closed:') || !(await store.claimGate(scheduleId, event.gateId))) return;
      for (const approval of await store.advanceApprovals(scheduleId)) {
        const result = await engine.decide(event.upgradeId, {
          platform: approval.platform, userId: approval.userId, decision: 'approve', planHash: approval.planHash,
          ...(approval.displayName ? { displayName: approval.displayName } : {}), ...(approval.groups ? { groups: approval.groups } : {}),
        });
        log.info({ scheduleId, gateId: event.gateId, userId: approval.userId, counted: result.counted, reason: result.reason }, 'advance approval applied');
      }
      return;
    }
    if (event.type !== 'finished') return;
    following.get(scheduleId)?.();
    following.delete(scheduleId);
    const current = await store.get(scheduleId);
    if (!current) return;
    const done: ScheduledUpgrade = { ...current, status: 'finished', outcome: event.outcome, summary: event.summary };
    if (current.status === 'running') await store.save(done);
    await announceOnce(done, 'finished', 'finished', { outcome: event.outcome, summary: event.summary });
  }

  function follow(schedule: ScheduledUpgrade): void {
    if (following.has(schedule.id)) return;
    const unsubscribe = engine.subscribe(schedule.upgradeId, (event) => {
      onEvent(schedule.id, event).catch((error: unknown) => log.error({ err: error, scheduleId: schedule.id, event: event.type }, 'scheduled upgrade event'));
    });
    following.set(schedule.id, unsubscribe);
  }

  async function start(schedule: ScheduledUpgrade): Promise<void> {
    let current = schedule;
    if (current.status === 'scheduled') {
      const result = await engine.submit(current.command, current.requester, { upgradeId: current.upgradeId, ...(current.windowEnd ? { notAfter: current.windowEnd } : {}) });
      if (!result.ok) {
        const done: ScheduledUpgrade = { ...current, status: 'finished', outcome: 'did not start', summary: result.message };
        await store.save(done);
        await announceOnce(done, 'finished', 'finished', { outcome: 'did not start', summary: result.message });
        return;
      }
      current = { ...current, status: 'running' };
      await store.save(current);
      log.info({ scheduleId: current.id, upgradeId: result.upgradeId }, 'scheduled upgrade started');
    }
    await announceOnce(current, 'starting', 'starting');
    follow(current);
  }

  async function processJob(job: Job<ScheduleJobData>, token: string | undefined): Promise<string> {
    const data = job.data;
    const early = data.dueAt - clock();
    if (early > EARLY_TOLERANCE_MS) {
      await job.moveToDelayed(Date.now() + early, token);
      throw new DelayedError();
    }
    const schedule = await store.get(data.scheduleId);
    if (!schedule || schedule.revision !== data.revision) return 'stale';
    if (data.kind === 'reminder') {
      // A reminder that comes due only after the start (the bot was down) would say the wrong thing.
      if (schedule.status !== 'scheduled' || clock() >= Date.parse(schedule.at)) return 'stale';
      await announceOnce(schedule, `r${schedule.revision}-m${data.minutesBefore ?? 0}`, 'reminder', { minutesBefore: data.minutesBefore ?? 0 });
      return 'reminded';
    }
    // `running` too: a start interrupted after the submit finishes its announcement and follow-up.
    if (schedule.status !== 'scheduled' && schedule.status !== 'running') return 'stale';
    await start(schedule);
    return 'started';
  }

  const worker = deps.worker
    ? new Worker<ScheduleJobData, string>(deps.queueName, processJob, { connection: deps.connection, prefix, concurrency: 4, ...WORKER_TUNING })
    : undefined;
  worker?.on('error', (err) => log.error({ err }, 'schedule worker'));
  worker?.on('failed', (job, err) => log.error({ err, jobId: job?.id }, 'schedule job failed'));

  return {
    queue, announceOnce, enqueue, removeJobs, follow,
    async tick() {
      let promoted = 0;
      for (const job of await queue.getDelayed()) {
        if (job.data.dueAt > clock()) continue;
        await job.promote().then(() => { promoted += 1; }, () => undefined);
      }
      return promoted;
    },
    async close() {
      for (const unsubscribe of following.values()) unsubscribe();
      following.clear();
      await worker?.close();
      await queue.close();
    },
  };
}
