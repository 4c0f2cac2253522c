/**
 * One runner per upgrade. BullMQ hands a job whose lock was not renewed in time (a stalled or
 * starved worker, a Redis outage) to another processor while the first may still be running; its
 * lock is then lost, but nothing stops its code. Every processor run of an upgrade therefore takes
 * a fencing token (`INCR <prefix>:fence:<upgradeId>`), and a cursor write only lands while the
 * token is still the newest (checked and written in one script), so an older attempt can neither
 * start a step nor record one after a newer attempt began: it aborts its in-flight command and ends.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Plan } from '../runbook/types.js';
import type { Cursor } from './queue.js';
import type { JobServices } from './services.js';

// Same write as BullMQ's own updateData script (HSET <job key> data <json>), behind the token check.
const SAVE_IF_CURRENT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('HSET', KEYS[2], 'data', ARGV[2])
return 1`;

const TTL_SECONDS = 30 * 24 * 3600;

export class AttemptFence {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(upgradeId: string): string {
    return `${this.prefix}:fence:${upgradeId}`;
  }

  /** Takes the next token: from now on only this attempt's writes land. */
  async begin(upgradeId: string): Promise<number> {
    const key = this.key(upgradeId);
    const [[, token]] = await this.redis.multi().incr(key).expire(key, TTL_SECONDS).exec() as [[unknown, number], unknown];
    return token;
  }

  /** Whether `token` is still the newest attempt's. */
  async holds(upgradeId: string, token: number): Promise<boolean> {
    return Number(await this.redis.get(this.key(upgradeId))) === token;
  }

  /**
   * Calls `onLost` once another attempt took a newer token (checked every second: a processor that
   * lost a lock renewal to a slow or starved process learns it within a second). Returns the stop.
   */
  watch(upgradeId: string, token: number, onLost: () => void, intervalMs = 1000): () => void {
    const timer = setInterval(() => {
      // A Redis outage is not a takeover: the atomic cursor write decides once Redis answers again.
      void this.holds(upgradeId, token).then((holds) => { if (!holds) onLost(); }, () => undefined);
    }, intervalMs);
    return () => clearInterval(timer);
  }

  /**
   * Returns once no other processor holds the job's BullMQ lock. BullMQ renews locks per job id:
   * when this worker also runs the newer attempt, a superseded attempt that ended at once would
   * untrack the id and stop the newer attempt's renewal, so the job stalls and is handed over again,
   * and again (measured: 30 takeovers in a row on a real rollback).
   */
  async waitForSuccessor<T>(job: Job<T>, lockToken: string | undefined): Promise<void> {
    const lockKey = `${job.queueQualifiedName}:${job.id}:lock`;
    for (;;) {
      const holder = await this.redis.get(lockKey);
      if (holder === null || holder === lockToken) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /**
   * Writes the job's data only while `token` is the newest: `stale` when a newer attempt owns the
   * upgrade, `gone` when the job no longer exists.
   */
  async save<T>(job: Job<T>, upgradeId: string, token: number, data: T): Promise<'saved' | 'stale' | 'gone'> {
    const result = await this.redis.eval(SAVE_IF_CURRENT, 2, this.key(upgradeId), `${job.queueQualifiedName}:${job.id}`, String(token), JSON.stringify(data));
    if (result === 1) {
      job.data = data;
      return 'saved';
    }
    return result === 0 ? 'stale' : 'gone';
  }
}

export interface TakeOverInput {
  upgradeId: string;
  plan: Plan;
  cursor: Cursor;
  attempt: number;
  attemptsMade: number;
  services: Pick<JobServices, 'audit' | 'emit' | 'now'>;
  say: (message: string) => Promise<void>;
}

/**
 * A worker that died between saving a step as done and reporting it left the step "running" in
 * the audit and the thread for good: the cursor says done, so no attempt runs, checks or mentions
 * it again (found by the chaos matrix's kills at a step's end on the host). The attempt that takes
 * over reports it, saying so; its duration is not known.
 */
async function reportUnrecorded(input: TakeOverInput): Promise<void> {
  const { upgradeId, cursor, services } = input;
  const record = await services.audit.get(upgradeId);
  for (const step of record?.steps ?? []) {
    if (step.status !== 'running' || !cursor.done.includes(step.stepId)) continue;
    await services.emit({
      type: 'step-finished', upgradeId, stepId: step.stepId, at: new Date(services.now()).toISOString(), durationMs: 0,
      excerpt: 'finished before the worker running it stopped; recorded by the attempt that took over',
    });
  }
}

/** How long a takeover waits before it looks at an interrupted step. */
const TAKEOVER_GRACE_MS = 2500;

/**
 * What an attempt does first when it finds a step started but not done. It says so in the thread,
 * unless a retry after a reported error already did (BullMQ's attemptsMade counted up since the
 * cursor was saved). Then it waits: the attempt before may still be ending its command. A
 * superseded attempt aborts it within a second (watch). A dead worker's command dies within a
 * second of its connection dropping (the remote wrapper). Checking "is it done?" before that can
 * say no and run the step beside it (seen once under a full test run: a link switch ran twice,
 * the second got "cannot stat").
 */
export async function takeOver(input: TakeOverInput): Promise<void> {
  const { plan, cursor } = input;
  await reportUnrecorded(input);
  const cut = cursor.started.filter((id) => !cursor.done.includes(id));
  if (cut.length === 0) return;
  if ((cursor.attemptsMade ?? 0) === input.attemptsMade) {
    const titles = cut.map((id) => plan.steps.find((step) => step.id === id)?.title ?? id).map((title) => `"${title}"`).join(', ');
    await input.say(`The worker running this upgrade stopped during ${titles}; attempt ${input.attempt} takes over there (a step safe to repeat runs again, any other is checked first or asked)`);
  }
  await new Promise((resolve) => setTimeout(resolve, TAKEOVER_GRACE_MS));
}
