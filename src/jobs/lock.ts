/**
 * Upgrade locks: one per environment (`<prefix>:lock:env:<env>`) and one per host the plan has a
 * step on (`<prefix>:lock:host:<host>`, staging hosts of a staging-first production upgrade
 * included: host names are unique in the whole fleet). Each lock key holds the upgrade id, with
 * who holds it, since when and for which environment in a companion `<key>:holder` hash.
 *
 * An upgrade takes all of its locks in one script, all or nothing: a reader never sees half a
 * lock set, and of two upgrades that share a host exactly one gets it. The keys an upgrade took
 * are listed in `<prefix>:lock:held:<upgradeId>`, so freeing by upgrade id (`release`) frees its
 * host locks as well, each by compare-and-delete (only the holder's id frees a key). A reaper
 * frees the locks of upgrades whose job is gone.
 */
import type { Redis } from 'ioredis';
import type { Plan } from '../runbook/types.js';

export interface LockHolder {
  upgradeId: string;
  /** Display name or user id of whoever started the upgrade. */
  who: string;
  /** ISO time the lock was taken. */
  since: string;
  /** The environment the holding upgrade was started for (a production upgrade also holds its staging hosts). */
  environment?: string;
  kind?: Plan['kind'];
}

/** Which of the requested locks another upgrade holds (the first one found: the environment, then hosts by name). */
export type LockConflict = { scope: 'environment'; environment: string } | { scope: 'host'; host: string };

export type AcquireResult = { ok: true } | { ok: false; holder: LockHolder; conflict: LockConflict };

const UNKNOWN: LockHolder = { upgradeId: 'unknown', who: 'unknown', since: 'unknown' };

/**
 * KEYS[1]: the upgrade's held set; then pairs (lock key, holder hash), the environment first.
 * ARGV: upgradeId, who, since, environment, kind.
 * Checks every lock first and writes only when none is held by another upgrade (a key already
 * held by this same upgrade id counts as taken: a re-submit with the same id is not refused by itself).
 * Returns 0 when taken, else {index of the busy pair (0 = environment), holder id, who, since, environment, kind}.
 */
const ACQUIRE = `
for i = 2, #KEYS, 2 do
  local current = redis.call('GET', KEYS[i])
  if current and current ~= ARGV[1] then
    local h = redis.call('HMGET', KEYS[i + 1], 'who', 'since', 'environment', 'kind')
    return {(i - 2) / 2, current, h[1], h[2], h[3], h[4]}
  end
end
for i = 2, #KEYS, 2 do
  redis.call('SET', KEYS[i], ARGV[1])
  redis.call('DEL', KEYS[i + 1])
  redis.call('HSET', KEYS[i + 1], 'upgradeId', ARGV[1], 'who', ARGV[2], 'since', ARGV[3], 'environment', ARGV[4], 'kind', ARGV[5])
  redis.call('SADD', KEYS[1], KEYS[i])
end
return 0`;

/**
 * KEYS[1]: the upgrade's held set; KEYS[2]: its environment lock (freed even when the held set
 * is missing). ARGV[1]: upgradeId. Frees every listed lock this upgrade still holds; returns how many.
 */
const RELEASE = `
local keys = redis.call('SMEMBERS', KEYS[1])
if KEYS[2] ~= '' then table.insert(keys, KEYS[2]) end
local freed = 0
for _, key in ipairs(keys) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('DEL', key, key .. ':holder')
    freed = freed + 1
  end
end
redis.call('DEL', KEYS[1])
return freed`;

/** Every host the plan has a step on (its on-failure steps included), once each, sorted. */
export function hostsOf(plan: Pick<Plan, 'steps' | 'onFailure'>): string[] {
  const hosts = new Set<string>();
  for (const step of [...plan.steps, ...(plan.onFailure ?? [])]) if (step.host !== undefined) hosts.add(step.host);
  return [...hosts].sort();
}

/** The refusal for a lock held by another upgrade, naming what is held, by which upgrade, who and since when. */
export function lockRefusal(environment: string, result: Extract<AcquireResult, { ok: false }>, now: number): string {
  const { holder, conflict } = result;
  if (conflict.scope === 'environment') {
    return `${environment} is locked by ${holder.who} since ${holder.since} (upgrade ${holder.upgradeId}); wait for it to finish or cancel it`;
  }
  const what = holder.kind === 'rollback' ? 'rolled back' : 'upgraded';
  const of = holder.environment ? `, ${holder.kind ?? 'upgrade'} of ${holder.environment}` : '';
  return `${conflict.host} is being ${what} by ${holder.upgradeId} (${holder.who}, since ${clockTime(holder.since, now)}${of}); `
    + `this ${environment} plan has steps on ${conflict.host}: wait for that upgrade to finish or cancel it`;
}

/** `10:02 UTC` on the same UTC day as `now`, else `2026-05-01 10:02 UTC`; an unreadable time as it is. */
function clockTime(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return iso;
  const text = new Date(at).toISOString();
  const day = text.slice(0, 10);
  const time = `${text.slice(11, 16)} UTC`;
  return day === new Date(now).toISOString().slice(0, 10) ? time : `${day} ${time}`;
}

export class EnvironmentLocks {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private envKey(environment: string): string {
    return `${this.prefix}:lock:env:${environment}`;
  }

  private hostKey(host: string): string {
    return `${this.prefix}:lock:host:${host}`;
  }

  private heldKey(upgradeId: string): string {
    return `${this.prefix}:lock:held:${upgradeId}`;
  }

  /**
   * Takes the environment lock and one lock per host in `hosts`, all or nothing. Refused with the
   * first lock held by another upgrade (the environment's, else the first busy host by name) and its holder.
   */
  async acquire(environment: string, holder: LockHolder, hosts: readonly string[] = []): Promise<AcquireResult> {
    const names = [...new Set(hosts)].sort();
    const locks = [this.envKey(environment), ...names.map((host) => this.hostKey(host))];
    const keys = [this.heldKey(holder.upgradeId), ...locks.flatMap((key) => [key, `${key}:holder`])];
    const reply = await this.redis.eval(ACQUIRE, keys.length, ...keys,
      holder.upgradeId, holder.who, holder.since, holder.environment ?? environment, holder.kind ?? 'upgrade') as 0 | [number, string | null, string | null, string | null, string | null, string | null];
    if (reply === 0) return { ok: true };
    const [index, upgradeId, who, since, env, kind] = reply;
    const position = Number(index);
    const conflict: LockConflict = position === 0 ? { scope: 'environment', environment } : { scope: 'host', host: names[position - 1] ?? 'unknown' };
    return {
      ok: false, conflict,
      holder: {
        upgradeId: upgradeId ?? UNKNOWN.upgradeId, who: who ?? UNKNOWN.who, since: since ?? UNKNOWN.since,
        ...(env ? { environment: env } : {}), ...(kind === 'upgrade' || kind === 'rollback' ? { kind } : {}),
      },
    };
  }

  private async read(key: string): Promise<LockHolder | null> {
    const [id, fields] = await Promise.all([this.redis.get(key), this.redis.hgetall(`${key}:holder`)]);
    if (!id) return null;
    return {
      upgradeId: id, who: fields.who ?? UNKNOWN.who, since: fields.since ?? UNKNOWN.since,
      ...(fields.environment ? { environment: fields.environment } : {}),
      ...(fields.kind === 'upgrade' || fields.kind === 'rollback' ? { kind: fields.kind } : {}),
    };
  }

  async holder(environment: string): Promise<LockHolder | null> {
    return this.read(this.envKey(environment));
  }

  async hostHolder(host: string): Promise<LockHolder | null> {
    return this.read(this.hostKey(host));
  }

  /**
   * Frees every lock `upgradeId` still holds: the environment lock and the host locks it took
   * with it (each only if this upgrade still holds it). True when anything was freed.
   */
  async release(environment: string, upgradeId: string): Promise<boolean> {
    return (await this.free(upgradeId, this.envKey(environment))) > 0;
  }

  /** Frees the locks in `upgradeId`'s held set and `lockKey` ('' for none) that it still holds; returns how many. */
  private async free(upgradeId: string, lockKey: string): Promise<number> {
    return Number(await this.redis.eval(RELEASE, 2, this.heldKey(upgradeId), lockKey, upgradeId));
  }

  /** Held locks of one scope: name → upgrade id. */
  private async scan(scope: 'env' | 'host'): Promise<Map<string, string>> {
    const held = new Map<string, string>();
    const marker = `${this.prefix}:lock:${scope}:`;
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

  /** Every held environment lock, by environment. */
  async all(): Promise<Map<string, string>> {
    return this.scan('env');
  }

  /** Every held host lock, by host. */
  async hosts(): Promise<Map<string, string>> {
    return this.scan('host');
  }

  /**
   * Frees every lock (environment or host) whose upgrade `isAlive` says is gone. Locks taken less
   * than `graceMs` ago are kept: their job may not be enqueued yet. Returns the environments
   * whose upgrades' locks were freed.
   */
  async reap(isAlive: (upgradeId: string) => Promise<boolean>, options: { now: number; graceMs: number }): Promise<string[]> {
    const upgrades = new Map<string, { environment: string; since: string }>();
    for (const [environment, upgradeId] of await this.all()) {
      const holder = await this.holder(environment);
      if (holder?.upgradeId === upgradeId) upgrades.set(upgradeId, { environment, since: holder.since });
    }
    const hosts = await this.hosts();
    for (const [host, upgradeId] of hosts) {
      if (upgrades.has(upgradeId)) continue;
      // A host lock whose environment lock is gone (e.g. freed by an older release of clawops).
      const holder = await this.hostHolder(host);
      if (holder?.upgradeId === upgradeId) upgrades.set(upgradeId, { environment: holder.environment ?? '', since: holder.since });
    }
    const freed = new Set<string>();
    for (const [upgradeId, { environment, since }] of upgrades) {
      const at = Date.parse(since);
      if (Number.isFinite(at) && options.now - at < options.graceMs) continue;
      if (await isAlive(upgradeId)) continue;
      let count = await this.free(upgradeId, environment ? this.envKey(environment) : '');
      // Host locks its held set does not list (the set was lost): compare-and-delete one by one.
      for (const [host, id] of hosts) if (id === upgradeId) count += await this.free(upgradeId, this.hostKey(host));
      if (count > 0) freed.add(environment || 'unknown');
    }
    return [...freed];
  }
}
