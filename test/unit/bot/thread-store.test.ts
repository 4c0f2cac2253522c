/** The ThreadStore on a real Redis: thread records, message bindings with the plan they showed. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ThreadStore } from '../../../src/bot/thread-store.js';
import { startRedis, type RedisServer } from '../../harness/redis.js';

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

const ref = (message: string) => ({ platform: 'slack' as const, channel: 'C1', thread: '1.0', message });

describe('ThreadStore', () => {
  it('opens a thread once and keeps its refs; the upgrade is active until finished', async () => {
    const store = new ThreadStore(redis, 't1');
    await store.open({ upgradeId: 'up-1', platform: 'slack', channel: 'C1', role: 'origin' });
    await store.addRef('up-1', 'plan', ref('1.0'), 'hash-a');
    const again = await store.open({ upgradeId: 'up-1', platform: 'slack', channel: 'C1', role: 'origin' });
    expect(again.refs['plan']?.message).toBe('1.0');
    expect(await store.activeUpgrades()).toEqual(['up-1']);
    await store.finish('up-1');
    expect(await store.activeUpgrades()).toEqual([]);
    expect(await store.list('up-1')).toHaveLength(1);
  });

  it('binds a posted message to its upgrade, slot and plan hash; a rebind follows an edit', async () => {
    const store = new ThreadStore(redis, 't2');
    await store.open({ upgradeId: 'up-2', platform: 'slack', channel: 'C1', role: 'origin' });
    await store.addRef('up-2', 'gate:switch', ref('1.5'), 'hash-a');
    expect(await store.bindingOf('slack', 'C1', '1.5')).toEqual({ upgradeId: 'up-2', key: 'gate:switch', planHash: 'hash-a' });
    await store.rebind('up-2', 'gate:switch', ref('1.5'), 'hash-b');
    expect(await store.bindingOf('slack', 'C1', '1.5')).toMatchObject({ planHash: 'hash-b' });
    await store.addRef('up-2', 'checklist', ref('1.6'));
    expect(await store.bindingOf('slack', 'C1', '1.6')).toEqual({ upgradeId: 'up-2', key: 'checklist' });
    expect(await store.upgradeOf('slack', 'C1', '1.6')).toBe('up-2');
    // Another channel's message with the same id is another message.
    expect(await store.bindingOf('slack', 'C2', '1.5')).toBeNull();
  });

  it('ignores a ref for a thread that was never opened', async () => {
    const store = new ThreadStore(redis, 't3');
    await store.addRef('up-3', 'plan', ref('2.0'), 'h');
    expect(await store.bindingOf('slack', 'C1', '2.0')).toBeNull();
  });

  it('links an announcement with the plan it showed, and reads bindings stored as a bare upgrade id', async () => {
    const store = new ThreadStore(redis, 't4');
    await store.linkMessage('discord', '42', '99', 'up-4', 'hash-x');
    expect(await store.bindingOf('discord', '42', '99')).toEqual({ upgradeId: 'up-4', planHash: 'hash-x' });
    await redis.set('t4:chat:msg:discord:42:100', 'up-old');
    expect(await store.bindingOf('discord', '42', '100')).toEqual({ upgradeId: 'up-old' });
  });
});

describe('ThreadStore under concurrent saves', () => {
  it('keeps every ref when many messages are saved at the same moment', async () => {
    const store = new ThreadStore(redis, 't5');
    await store.open({ upgradeId: 'up-5', platform: 'slack', channel: 'C1', role: 'origin' });
    const keys = ['plan', 'checklist', 'health', 'gate:a', 'note:0', 'note:1', 'report'];
    await Promise.all(keys.map((key, index) => store.addRef('up-5', key, ref(`5.${index}`), 'h')));
    expect(Object.keys((await store.get('up-5', 'slack', 'C1'))?.refs ?? {}).sort()).toEqual([...keys].sort());
    expect((await store.list('up-5'))[0]?.refs['report']?.message).toBe('5.6');
  });
});

describe('ThreadStore.claimOnce', () => {
  it('lets exactly one of many concurrent callers do the work', async () => {
    const a = new ThreadStore(redis, 't6');
    const b = new ThreadStore(redis, 't6');
    const results = await Promise.all([a.claimOnce('rollback:up-6'), b.claimOnce('rollback:up-6'), a.claimOnce('rollback:up-6')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await a.claimOnce('rollback:up-7')).toBe(true);
  });
});
