/**
 * One lock per environment: `SET <prefix>:lock:env:<env> <upgradeId> NX`, with who holds it and
 * since when in a companion hash, both written by one script so a reader never sees half a lock.
 * Released by compare-and-delete (only the holder's id frees it); a reaper frees locks whose job is gone.
 */
import type { Redis } from 'ioredis';

export interface LockHolder {
  upgradeId: string;
  /** Display name or user id of whoever started the upgrade. */
  who: string;
  /** ISO time the lock was taken. */
  since: string;
}

export type AcquireResult = { ok: true } | { ok: false; holder: LockHolder };

const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[2], 'upgradeId', ARGV[1], 'who', ARGV[2], 'since', ARGV[3])
  return 1
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0`;

export class EnvironmentLocks {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private keys(environment: string): [string, string] {
    const key = `${this.prefix}:lock:env:${environment}`;
    return [key, `${key}:holder`];
  }

  async acquire(environment: string, holder: LockHolder): Promise<AcquireResult> {
    const [key, info] = this.keys(environment);
    const taken = await this.redis.eval(ACQUIRE, 2, key, info, holder.upgradeId, holder.who, holder.since);
    if (taken === 1) return { ok: true };
    const current = await this.holder(environment);
    // Released between our SET and read: report it as held by an unknown holder rather than loop.
    return { ok: false, holder: current ?? { upgradeId: 'unknown', who: 'unknown', since: 'unknown' } };
  }

  async holder(environment: string): Promise<LockHolder | null> {
    const [key, info] = this.keys(environment);
    const [id, fields] = await Promise.all([this.redis.get(key), this.redis.hgetall(info)]);
    if (!id) return null;
    return { upgradeId: id, who: fields.who ?? 'unknown', since: fields.since ?? 'unknown' };
  }

  /** Frees the lock only if `upgradeId` still holds it. */
  async release(environment: string, upgradeId: string): Promise<boolean> {
    const [key, info] = this.keys(environment);
    return (await this.redis.eval(RELEASE, 2, key, info, upgradeId)) === 1;
  }

  /** Every held lock, by environment. */
  async all(): Promise<Map<string, string>> {
    const held = new Map<string, string>();
    const marker = `${this.prefix}:lock:env:`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${marker}*`, 'COUNT', 200);
      cursor = next;
      for (const key of keys) {
        if (key.endsWith(':holder')) continue;
        const id = await this.redis.get(key);
        if (id) held.set(key.slice(marker.length), id);
      }
    } while (cursor !== '0');
    return held;
  }

  /**
   * Frees every lock whose upgrade `isAlive` says is gone. Locks taken less than `graceMs` ago
   * are kept: their job may not be enqueued yet. Returns the environments freed.
   */
  async reap(isAlive: (upgradeId: string) => Promise<boolean>, options: { now: number; graceMs: number }): Promise<string[]> {
    const freed: string[] = [];
    for (const [environment, upgradeId] of await this.all()) {
      const holder = await this.holder(environment);
      const since = holder ? Date.parse(holder.since) : Number.NaN;
      if (Number.isFinite(since) && options.now - since < options.graceMs) continue;
      if (!(await isAlive(upgradeId)) && (await this.release(environment, upgradeId))) freed.push(environment);
    }
    return freed;
  }
}
