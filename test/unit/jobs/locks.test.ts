/**
 * Upgrade locks on a real Redis: the environment lock plus one lock per host a plan touches
 * (staging hosts of a staging-first production upgrade included), taken all or nothing,
 * refused naming the host, the holding upgrade, who and since when; freed by upgrade id.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvironmentLocks, hostsOf, lockRefusal, type AcquireResult, type LockHolder } from '../../../src/jobs/lock.js';
import type { PlanStep } from '../../../src/runbook/types.js';
import { startRedis, type RedisServer } from '../../harness/redis.js';
import { makePlan, shStep } from '../../jobs/fixtures.js';

let server: RedisServer;
let redis: Redis;
let counter = 0;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

function fresh(): { locks: EnvironmentLocks; prefix: string } {
  counter += 1;
  const prefix = `locks${counter}`;
  return { locks: new EnvironmentLocks(redis, prefix), prefix };
}

const SINCE = '2026-11-25T10:02:31.000Z';
const NOW = Date.parse('2026-11-25T10:20:00Z');
const holder = (upgradeId: string, who: string, environment: string, since = SINCE): LockHolder => ({ upgradeId, who, since, environment, kind: 'upgrade' });
/** What a staging-first production upgrade and a staging upgrade touch. */
const PRODUCTION = ['prod-1', 'prod-2', 'staging-1'];
const STAGING = ['staging-1'];

function refused(result: AcquireResult): Extract<AcquireResult, { ok: false }> {
  if (result.ok) throw new Error('expected a refusal');
  return result;
}

/** Every lock key under the prefix with the upgrade id it holds. */
async function lockKeys(prefix: string): Promise<Record<string, string>> {
  const keys = (await redis.keys(`${prefix}:lock:*`)).filter((key) => !key.endsWith(':holder') && !key.includes(':lock:held:'));
  const entries = await Promise.all(keys.map(async (key) => [key.slice(prefix.length + 1), await redis.get(key) ?? ''] as const));
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

describe('host locks', () => {
  it('refuses a staging upgrade while a staging-first production upgrade holds staging-1, naming the host and the holder', async () => {
    const { locks } = fresh();
    expect(await locks.acquire('production', holder('up-prod', 'alice', 'production'), PRODUCTION)).toEqual({ ok: true });
    const result = refused(await locks.acquire('staging', holder('up-stg', 'bob', 'staging'), STAGING));
    expect(result.conflict).toEqual({ scope: 'host', host: 'staging-1' });
    expect(result.holder).toEqual({ upgradeId: 'up-prod', who: 'alice', since: SINCE, environment: 'production', kind: 'upgrade' });
    const message = lockRefusal('staging', result, NOW);
    expect(message).toContain('staging-1 is being upgraded by up-prod (alice, since 10:02 UTC, upgrade of production)');
    expect(message).toContain('cancel it');
    expect(await locks.holder('staging')).toBeNull();
    expect(await locks.hostHolder('staging-1')).toMatchObject({ upgradeId: 'up-prod', who: 'alice', environment: 'production' });
  });

  it('refuses a staging-first production upgrade while a staging upgrade holds staging-1', async () => {
    const { locks, prefix } = fresh();
    expect(await locks.acquire('staging', holder('up-stg', 'bob', 'staging'), STAGING)).toEqual({ ok: true });
    const result = refused(await locks.acquire('production', holder('up-prod', 'alice', 'production'), PRODUCTION));
    expect(result.conflict).toEqual({ scope: 'host', host: 'staging-1' });
    expect(lockRefusal('production', result, NOW)).toContain('staging-1 is being upgraded by up-stg (bob, since 10:02 UTC, upgrade of staging)');
    expect(await lockKeys(prefix)).toEqual({ 'lock:env:staging': 'up-stg', 'lock:host:staging-1': 'up-stg' });
  });

  it('takes nothing when one host is busy: no environment lock, no other host, no held list', async () => {
    const { locks, prefix } = fresh();
    expect(await locks.acquire('staging', holder('up-stg', 'bob', 'staging'), STAGING)).toEqual({ ok: true });
    const before = await lockKeys(prefix);
    refused(await locks.acquire('production', holder('up-prod', 'alice', 'production'), ['prod-1', 'prod-2', 'staging-1', 'zz-last']));
    expect(await lockKeys(prefix)).toEqual(before);
    for (const host of ['prod-1', 'prod-2', 'zz-last']) expect(await locks.hostHolder(host)).toBeNull();
    expect(await locks.holder('production')).toBeNull();
    expect(await redis.exists(`${prefix}:lock:held:up-prod`)).toBe(0);
    expect(await redis.exists(`${prefix}:lock:host:prod-1:holder`)).toBe(0);
  });

  it('reports the environment lock first, with the message submit always gave', async () => {
    const { locks } = fresh();
    await locks.acquire('production', holder('up-1', 'alice', 'production'), PRODUCTION);
    const result = refused(await locks.acquire('production', holder('up-2', 'bob', 'production'), PRODUCTION));
    expect(result.conflict).toEqual({ scope: 'environment', environment: 'production' });
    expect(lockRefusal('production', result, NOW)).toBe(`production is locked by alice since ${SINCE} (upgrade up-1); wait for it to finish or cancel it`);
  });

  it('lets upgrades on disjoint hosts of different environments run side by side', async () => {
    const { locks } = fresh();
    expect(await locks.acquire('production', holder('up-prod', 'alice', 'production'), ['prod-1'])).toEqual({ ok: true });
    expect(await locks.acquire('staging', holder('up-stg', 'bob', 'staging'), STAGING)).toEqual({ ok: true });
  });

  it('does not refuse an upgrade its own locks (a re-submit with the same id)', async () => {
    const { locks } = fresh();
    expect(await locks.acquire('production', holder('up-1', 'alice', 'production'), PRODUCTION)).toEqual({ ok: true });
    expect(await locks.acquire('production', holder('up-1', 'alice', 'production'), PRODUCTION)).toEqual({ ok: true });
  });

  it('release by upgrade id frees its environment and host locks, and nobody else\'s', async () => {
    const { locks, prefix } = fresh();
    await locks.acquire('production', holder('up-prod', 'alice', 'production'), PRODUCTION);
    await locks.acquire('qa', holder('up-qa', 'carol', 'qa'), ['qa-1']);
    expect(await locks.release('production', 'up-other')).toBe(false);
    expect(await locks.release('staging', 'up-prod')).toBe(true);
    expect(await lockKeys(prefix)).toEqual({ 'lock:env:qa': 'up-qa', 'lock:host:qa-1': 'up-qa' });
    expect(await redis.keys(`${prefix}:lock:host:prod-1*`)).toEqual([]);
    expect(await redis.exists(`${prefix}:lock:held:up-prod`)).toBe(0);
    expect(await locks.acquire('staging', holder('up-stg', 'bob', 'staging'), STAGING)).toEqual({ ok: true });
    // Released twice (finishUpgrade and the worker's `completed`): the second frees nothing, not the next holder's.
    expect(await locks.release('production', 'up-prod')).toBe(false);
    expect(await locks.hostHolder('staging-1')).toMatchObject({ upgradeId: 'up-stg' });
    // Nothing is left behind (holder hashes, held lists): the chat e2e stack waits for no lock:* key.
    await locks.release('staging', 'up-stg');
    await locks.release('qa', 'up-qa');
    expect(await redis.keys(`${prefix}:lock:*`)).toEqual([]);
  });

  it('compare-and-delete: a host lock now held by another upgrade survives the old holder\'s release', async () => {
    const { locks, prefix } = fresh();
    await locks.acquire('production', holder('up-old', 'alice', 'production'), PRODUCTION);
    await redis.set(`${prefix}:lock:host:staging-1`, 'up-new');
    expect(await locks.release('production', 'up-old')).toBe(true);
    expect(await lockKeys(prefix)).toEqual({ 'lock:host:staging-1': 'up-new' });
  });

  it('the reaper frees the environment and host locks of a gone upgrade, keeps live and young ones', async () => {
    const { locks, prefix } = fresh();
    const old = '2026-11-25T09:00:00.000Z';
    await locks.acquire('production', holder('up-dead', 'alice', 'production', old), PRODUCTION);
    await locks.acquire('qa', holder('up-live', 'carol', 'qa', old), ['qa-1']);
    await locks.acquire('dev', holder('up-young', 'dave', 'dev', new Date(NOW - 5_000).toISOString()), ['dev-1']);
    const alive = new Set(['up-live']);
    const freed = await locks.reap(async (id) => alive.has(id), { now: NOW, graceMs: 60_000 });
    expect(freed).toEqual(['production']);
    expect(await lockKeys(prefix)).toEqual({
      'lock:env:dev': 'up-young', 'lock:env:qa': 'up-live', 'lock:host:dev-1': 'up-young', 'lock:host:qa-1': 'up-live',
    });
  });

  it('the reaper frees host locks left without their environment lock or held list', async () => {
    const { locks, prefix } = fresh();
    await locks.acquire('production', holder('up-dead', 'alice', 'production', '2026-11-25T09:00:00.000Z'), PRODUCTION);
    await redis.del(`${prefix}:lock:env:production`, `${prefix}:lock:env:production:holder`, `${prefix}:lock:held:up-dead`);
    expect(await locks.reap(async () => false, { now: NOW, graceMs: 60_000 })).toEqual(['production']);
    expect(await redis.keys(`${prefix}:lock:*`)).toEqual([]);
  });

  it('of 20 concurrent acquires of one environment exactly one wins, and no partial lock set is ever left', async () => {
    const { prefix } = fresh();
    const clients = Array.from({ length: 20 }, () => new Redis(server.url, { maxRetriesPerRequest: null }));
    try {
      const results = await Promise.all(clients.map((client, index) =>
        new EnvironmentLocks(client, prefix).acquire('production', holder(`up-${index}`, `user-${index}`, 'production'), PRODUCTION)));
      const winners = results.flatMap((result, index) => (result.ok ? [`up-${index}`] : []));
      expect(winners).toHaveLength(1);
      const keys = await lockKeys(prefix);
      expect(Object.keys(keys)).toEqual(['lock:env:production', 'lock:host:prod-1', 'lock:host:prod-2', 'lock:host:staging-1']);
      expect(new Set(Object.values(keys))).toEqual(new Set(winners));
      for (const result of results) if (!result.ok) expect(result.holder.upgradeId).toBe(winners[0]);
    } finally {
      for (const client of clients) client.disconnect();
    }
  });

  it('of 20 concurrent production and staging upgrades sharing staging-1 exactly one wins', async () => {
    const { prefix } = fresh();
    const clients = Array.from({ length: 20 }, () => new Redis(server.url, { maxRetriesPerRequest: null }));
    try {
      const results = await Promise.all(clients.map((client, index) => {
        const environment = index % 2 === 0 ? 'production' : 'staging';
        return new EnvironmentLocks(client, prefix).acquire(environment, holder(`up-${index}`, `user-${index}`, environment), index % 2 === 0 ? PRODUCTION : STAGING);
      }));
      const winners = results.flatMap((result, index) => (result.ok ? [`up-${index}`] : []));
      expect(winners).toHaveLength(1);
      expect(new Set(Object.values(await lockKeys(prefix)))).toEqual(new Set(winners));
    } finally {
      for (const client of clients) client.disconnect();
    }
  });
});

function fleetWide(step: PlanStep): PlanStep {
  const { host: _host, ...rest } = step;
  return rest;
}

describe('lock helpers', () => {
  it('hostsOf lists every host with a step (on-failure steps included) once, sorted', () => {
    const plan = makePlan([
      shStep('stg-install', 'true', { host: 'staging-1', environment: 'staging' }),
      shStep('install', 'true', { host: 'prod-2', environment: 'production' }),
      shStep('install-1', 'true', { host: 'prod-1', environment: 'production' }),
      fleetWide(shStep('notify', 'true')),
      shStep('again', 'true', { host: 'prod-2', environment: 'production' }),
    ], { environment: 'production' });
    expect(hostsOf(plan)).toEqual(['prod-1', 'prod-2', 'staging-1']);
    expect(hostsOf({ ...plan, onFailure: [shStep('resume', 'true', { host: 'prod-3' })] })).toEqual(['prod-1', 'prod-2', 'prod-3', 'staging-1']);
  });

  it('names a rollback as such and gives the date when the lock is from another day', () => {
    const message = lockRefusal('staging', {
      ok: false, conflict: { scope: 'host', host: 'staging-1' },
      holder: { upgradeId: 'up-rb', who: 'alice', since: '2026-11-24T23:59:00.000Z', environment: 'production', kind: 'rollback' },
    }, NOW);
    expect(message).toContain('staging-1 is being rolled back by up-rb (alice, since 2026-11-24 23:59 UTC, rollback of production)');
  });
});
