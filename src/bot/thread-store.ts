/**
 * Where each upgrade's chat threads live, in Redis, so a restarted gateway edits the same
 * messages instead of posting new ones, and a reaction on any of them finds its upgrade.
 */
import type { Redis } from 'ioredis';
import type { MessageRef, Platform } from '../chat/types.js';

export interface ThreadRecord {
  upgradeId: string;
  platform: Platform;
  channel: string;
  /** Why this thread exists: where the command was typed, or a mirror for approvals. */
  role: 'origin' | 'mirror' | 'announcement';
  refs: Record<string, MessageRef>;
}

/** What a posted message belongs to: its upgrade, its slot in the thread, and the plan it showed. */
export interface MessageBinding {
  upgradeId: string;
  /** The thread message key (`plan`, `gate:<id>`…); absent for a linked message outside a thread. */
  key?: string;
  /** The hash of the plan the message showed; an approval given on it counts for that plan only. */
  planHash?: string;
}

const THIRTY_DAYS = 30 * 24 * 3600;

function parseBinding(raw: string): MessageBinding {
  // Bindings written before the plan hash was kept are the bare upgrade id.
  if (!raw.startsWith('{')) return { upgradeId: raw };
  return JSON.parse(raw) as MessageBinding;
}

export class ThreadStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private threadsKey(upgradeId: string): string {
    return `${this.prefix}:chat:threads:${upgradeId}`;
  }

  private messageKey(platform: Platform, channel: string, message: string): string {
    return `${this.prefix}:chat:msg:${platform}:${channel}:${message}`;
  }

  private refsKey(upgradeId: string, platform: Platform, channel: string): string {
    return `${this.prefix}:chat:refs:${upgradeId}:${platform}:${channel}`;
  }

  /** The record with every saved message (refs kept in the record itself by older versions count too). */
  private async withRefs(raw: string): Promise<ThreadRecord> {
    const record = JSON.parse(raw) as ThreadRecord;
    const saved = await this.redis.hgetall(this.refsKey(record.upgradeId, record.platform, record.channel));
    const refs = { ...record.refs };
    for (const [key, value] of Object.entries(saved)) refs[key] = JSON.parse(value) as MessageRef;
    return { ...record, refs };
  }

  private activeKey(): string {
    return `${this.prefix}:chat:active`;
  }

  async open(record: Omit<ThreadRecord, 'refs'>): Promise<ThreadRecord> {
    const existing = await this.get(record.upgradeId, record.platform, record.channel);
    if (existing) return existing;
    const full: ThreadRecord = { ...record, refs: {} };
    await this.redis.multi()
      .hset(this.threadsKey(record.upgradeId), `${record.platform}:${record.channel}`, JSON.stringify(full))
      .expire(this.threadsKey(record.upgradeId), THIRTY_DAYS)
      .sadd(this.activeKey(), record.upgradeId)
      .exec();
    return full;
  }

  /** Saves a posted message so reactions on it reach the upgrade (bound to the plan it shows). */
  async addRef(upgradeId: string, key: string, ref: MessageRef, planHash?: string): Promise<void> {
    const field = `${ref.platform}:${ref.channel}`;
    if (!(await this.redis.hexists(this.threadsKey(upgradeId), field))) return;
    // One hash field per message: posts saved at the same moment must not overwrite each other.
    const refsKey = this.refsKey(upgradeId, ref.platform, ref.channel);
    await this.redis.multi()
      .hset(refsKey, key, JSON.stringify(ref))
      .expire(refsKey, THIRTY_DAYS)
      .set(this.messageKey(ref.platform, ref.channel, ref.message), JSON.stringify(binding(upgradeId, key, planHash)), 'EX', THIRTY_DAYS)
      .exec();
  }

  /** The message was edited to show another plan: approvals on it now count for that one. */
  async rebind(upgradeId: string, key: string, ref: MessageRef, planHash: string | undefined): Promise<void> {
    await this.redis.set(this.messageKey(ref.platform, ref.channel, ref.message), JSON.stringify(binding(upgradeId, key, planHash)), 'EX', THIRTY_DAYS);
  }

  async get(upgradeId: string, platform: Platform, channel: string): Promise<ThreadRecord | null> {
    const raw = await this.redis.hget(this.threadsKey(upgradeId), `${platform}:${channel}`);
    return raw === null ? null : this.withRefs(raw);
  }

  async list(upgradeId: string): Promise<ThreadRecord[]> {
    const all = await this.redis.hgetall(this.threadsKey(upgradeId));
    return Promise.all(Object.values(all).map((raw) => this.withRefs(raw)));
  }

  /** What a message belongs to (any message of an upgrade's threads, on any platform). */
  async bindingOf(platform: Platform, channel: string, message: string): Promise<MessageBinding | null> {
    const raw = await this.redis.get(this.messageKey(platform, channel, message));
    return raw === null ? null : parseBinding(raw);
  }

  /** The upgrade a message belongs to. */
  async upgradeOf(platform: Platform, channel: string, message: string): Promise<string | null> {
    return (await this.bindingOf(platform, channel, message))?.upgradeId ?? null;
  }

  /**
   * Also lets reactions on a message that is not part of a thread (an announcement) find the
   * upgrade; `planHash` is the plan that message showed.
   */
  async linkMessage(platform: Platform, channel: string, message: string, upgradeId: string, planHash?: string): Promise<void> {
    await this.redis.set(this.messageKey(platform, channel, message), JSON.stringify(binding(upgradeId, undefined, planHash)), 'EX', THIRTY_DAYS);
  }

  /**
   * True for the first caller only (across gateways and restarts): for work one event must
   * cause once, like planning the rollback a failed upgrade proposed.
   */
  async claimOnce(what: string): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}:chat:once:${what}`, '1', 'EX', THIRTY_DAYS, 'NX')) === 'OK';
  }

  async activeUpgrades(): Promise<string[]> {
    return this.redis.smembers(this.activeKey());
  }

  async finish(upgradeId: string): Promise<void> {
    await this.redis.srem(this.activeKey(), upgradeId);
  }
}

function binding(upgradeId: string, key: string | undefined, planHash: string | undefined): MessageBinding {
  return { upgradeId, ...(key === undefined ? {} : { key }), ...(planHash === undefined ? {} : { planHash }) };
}
