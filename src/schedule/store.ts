/**
 * Where scheduled upgrades live in Redis. Everything the scheduler must remember across a
 * restart (of the bot or of Redis with AOF) is here, not in process memory.
 */
import type { Redis } from 'ioredis';
import type { AdvanceApproval, AnnouncementPost, ScheduledUpgrade } from './types.js';

const TTL_SECONDS = 60 * 24 * 3600;

export class ScheduleStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(...parts: string[]): string {
    return [this.prefix, 'schedule', ...parts].join(':');
  }

  private get index(): string {
    return `${this.prefix}:schedules`;
  }

  async save(schedule: ScheduledUpgrade): Promise<void> {
    await this.redis.multi()
      .set(this.key(schedule.id), JSON.stringify(schedule), 'EX', TTL_SECONDS)
      .zadd(this.index, Date.parse(schedule.at), schedule.id)
      .exec();
  }

  async get(id: string): Promise<ScheduledUpgrade | null> {
    const raw = await this.redis.get(this.key(id));
    return raw ? JSON.parse(raw) as ScheduledUpgrade : null;
  }

  /** All known schedules in start order (ids whose record expired are dropped from the index). */
  async all(): Promise<ScheduledUpgrade[]> {
    const ids = await this.redis.zrange(this.index, '0', '-1');
    const schedules: ScheduledUpgrade[] = [];
    for (const id of ids) {
      const schedule = await this.get(id);
      if (schedule) schedules.push(schedule);
      else await this.redis.zrem(this.index, id);
    }
    return schedules;
  }

  /**
   * True for the first caller only: set before posting an announcement, so a retried job, a
   * second bot instance or a restart never posts it twice. (If the process dies between this and
   * the post, that one announcement is lost: at most once, never twice.)
   */
  async claimAnnouncement(id: string, key: string): Promise<boolean> {
    return (await this.redis.set(this.key('announced', id, key), new Date().toISOString(), 'EX', TTL_SECONDS, 'NX')) === 'OK';
  }

  async wasAnnounced(id: string, key: string): Promise<boolean> {
    return (await this.redis.exists(this.key('announced', id, key))) === 1;
  }

  async saveMessages(id: string, posts: readonly AnnouncementPost[]): Promise<void> {
    if (posts.length === 0) return;
    const multi = this.redis.multi();
    for (const post of posts) multi.set(this.messageKey(post), id, 'EX', TTL_SECONDS);
    await multi.exec();
  }

  async scheduleOfMessage(post: AnnouncementPost): Promise<string | null> {
    return this.redis.get(this.messageKey(post));
  }

  private messageKey(post: AnnouncementPost): string {
    return this.key('msg', post.platform, post.channel, post.message);
  }

  /** One advance approval per person (a second reaction replaces the first). */
  async addAdvanceApproval(id: string, approval: AdvanceApproval): Promise<void> {
    const key = this.key('advance', id);
    await this.redis.multi().hset(key, `${approval.platform}:${approval.userId}`, JSON.stringify(approval)).expire(key, TTL_SECONDS).exec();
  }

  async advanceApprovals(id: string): Promise<AdvanceApproval[]> {
    const raw = await this.redis.hvals(this.key('advance', id));
    return raw.map((item) => JSON.parse(item) as AdvanceApproval);
  }

  /** True once per (schedule, gate): advance approvals are applied to each gate once. */
  async claimGate(id: string, gateId: string): Promise<boolean> {
    return (await this.redis.set(this.key('applied', id, gateId), '1', 'EX', TTL_SECONDS, 'NX')) === 'OK';
  }
}
