/** Scheduled upgrades across bot and Redis restarts, a DST night, and `--window auto` from sampled traffic. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { createTrafficSampler } from '../../src/schedule/traffic.js';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { alice } from '../jobs/fixtures.js';
import { defaultPlan, fakeClock, minus, scheduleConfig, startStack, upgradeAt, upgradeInWindow, type Stack } from './schedule-harness.js';

let redis: RedisServer;
let dir: string;
let counter = 0;
const open: Stack[] = [];

beforeAll(async () => { redis = await startRedis({ appendOnly: true }); });
afterAll(async () => { await redis.stop(); });
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'clawops-schedule-')); });
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
  await rm(dir, { recursive: true, force: true });
});

function setup(now: string) {
  counter += 1;
  const clock = fakeClock(now);
  const config = scheduleConfig(`rs${counter}`);
  const marker = join(dir, 'ran');
  const plans = [defaultPlan(marker)];
  const start = async () => {
    const stack = await startStack(redis.url, config, clock, plans);
    open.push(stack);
    return stack;
  };
  const stop = async (stack: Stack) => {
    open.splice(open.indexOf(stack), 1);
    await stack.close();
  };
  return { clock, config, marker, start, stop };
}

test('a restarted bot (and a second instance) announce each thing once, and the upgrade still runs once', async () => {
  const { clock, marker, start, stop } = setup('2026-11-25T10:00:00Z');
  const first = await start();
  const result = await first.scheduler.schedule(upgradeAt('2026-11-27 03:00'), alice);
  if (!result.ok) throw new Error(result.message);
  const at = result.schedule.at;
  clock.set(minus(at, 24 * 60));
  await first.scheduler.tick();
  await expect.poll(() => first.announcer.kinds()).toEqual(['scheduled', 'reminder-1440']);
  await stop(first);

  // Two bot processes on the same Redis (a restart that overlaps the old one): each tick promotes what is due.
  const a = await start();
  const b = await start();
  const all = () => [...a.announcer.kinds(), ...b.announcer.kinds()].sort();
  for (const minutes of [60, 10]) {
    clock.set(minus(at, minutes));
    await Promise.all([a.scheduler.tick(), b.scheduler.tick()]);
    await expect.poll(all).toContain(`reminder-${minutes}`);
  }
  clock.set(at);
  await Promise.all([a.scheduler.tick(), b.scheduler.tick()]);
  await expect.poll(all, { timeout: 10_000 }).toEqual(['finished', 'reminder-10', 'reminder-60', 'starting']);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(all()).toEqual(['finished', 'reminder-10', 'reminder-60', 'starting']);
  expect(await readFile(marker, 'utf8')).toBe('backup\nswitch\n');
});

test('a bot restarted while the upgrade runs still announces its finish', async () => {
  const { clock, marker, start, stop } = setup('2026-11-25T10:00:00Z');
  const first = await start();
  first.plans.splice(0, 1, { ...defaultPlan(marker), steps: defaultPlan(marker).steps.map((step, index) => index === 0 && step.action.type === 'command'
    ? { ...step, action: { ...step.action, argv: ['sh', '-c', `sleep 1; echo backup >> ${marker}`] } } : step) });
  const result = await first.scheduler.schedule(upgradeAt('11:30'), alice);
  if (!result.ok) throw new Error(result.message);
  clock.set(result.schedule.at);
  await first.scheduler.tick();
  await expect.poll(() => first.announcer.kinds()).toEqual(['scheduled', 'starting']);
  await stop(first);
  const second = await start();
  await expect.poll(() => second.announcer.kinds(), { timeout: 15_000 }).toEqual(['finished']);
  expect(second.announcer.posts[0]?.extra?.outcome).toBe('succeeded');
  expect(await readFile(marker, 'utf8')).toBe('backup\nswitch\n');
});

test('Redis restarted with AOF: the schedule, its jobs and its announced markers survive', async () => {
  const { clock, marker, start, stop } = setup('2026-11-25T10:00:00Z');
  const first = await start();
  const result = await first.scheduler.schedule(upgradeAt('2026-11-25 12:30'), alice);
  if (!result.ok) throw new Error(result.message);
  clock.set(minus(result.schedule.at, 60));
  await first.scheduler.tick();
  await expect.poll(() => first.announcer.kinds()).toEqual(['scheduled', 'reminder-60']);
  await stop(first);
  await redis.restart();

  const second = await start();
  expect(await second.scheduler.list()).toMatchObject([{ id: result.schedule.id, status: 'scheduled' }]);
  clock.set(minus(result.schedule.at, 60));
  await second.scheduler.tick();
  clock.set(minus(result.schedule.at, 10));
  await second.scheduler.tick();
  await expect.poll(() => second.announcer.kinds()).toEqual(['reminder-10']);
  clock.set(result.schedule.at);
  await second.scheduler.tick();
  await expect.poll(() => second.announcer.kinds(), { timeout: 10_000 }).toEqual(['reminder-10', 'starting', 'finished']);
  expect(await readFile(marker, 'utf8')).toBe('backup\nswitch\n');
});

test('a window on the night clocks go forward in Europe/Berlin starts at the first existing wall time and says both zones', async () => {
  const { clock, start } = setup('2027-03-27T12:00:00Z');
  const stack = await start();
  const result = await stack.scheduler.schedule(upgradeInWindow('next'), alice);
  if (!result.ok) throw new Error(result.message);
  // Sunday 28 March 2027 02:00 does not exist in Berlin: the window opens at 03:00 CEST = 01:00 UTC and still ends 05:00 CEST.
  expect(result.schedule).toMatchObject({ at: '2027-03-28T01:00:00.000Z', windowEnd: '2027-03-28T03:00:00.000Z' });
  expect(stack.announcer.posts[0]?.message.text).toContain('2027-03-28 03:00 GMT+2 (01:00 UTC)');
  // T-24h was already past when it was scheduled; T-1h and T-10m count real elapsed time across the change.
  clock.set('2027-03-27T23:59:00Z');
  expect(await stack.scheduler.tick()).toBe(0);
  clock.set('2027-03-28T00:59:00Z');
  expect(await stack.scheduler.tick()).toBe(2);
  await expect.poll(() => stack.announcer.kinds().sort()).toEqual(['reminder-10', 'reminder-60', 'scheduled']);
  clock.set('2027-03-28T01:00:00Z');
  await stack.scheduler.tick();
  await expect.poll(() => stack.announcer.kinds().slice(3), { timeout: 10_000 }).toEqual(['starting', 'finished']);
});

test('--window auto picks the quietest sampled hour; with too little history it uses the window and says why', async () => {
  const { clock, config, start } = setup('2026-11-17T00:00:00Z');
  const redisClient = new Redis(redis.url);
  try {
    let total = 0;
    const sampler = createTrafficSampler({
      redis: redisClient, prefix: config.redis.prefix, timezone: config.schedule.timezone, clock: clock.read,
      readCount: async () => total,
    });
    // Eight days of hourly readings: Thursdays 04:00–05:00 Berlin see 5 requests, every other hour 500.
    for (let hour = 0; hour <= 8 * 24; hour++) {
      const reading = DateTime.fromMillis(clock.now, { zone: 'Europe/Berlin' });
      const previous = reading.minus({ hours: 1 });
      total += previous.weekday === 4 && previous.hour === 4 ? 5 : 500;
      await sampler.sampleOnce('production', ['host-b']);
      clock.now += 3600_000;
    }
    const histogram = await sampler.loadHistogram('production');
    expect(histogram.days).toBe(9);
    expect(histogram.counts['4:4']).toBe(5);

    clock.set('2026-11-25T10:00:00Z');
    const stack = await start();
    const result = await stack.scheduler.schedule(upgradeInWindow('auto'), alice);
    if (!result.ok) throw new Error(result.message);
    expect(result.schedule).toMatchObject({ at: '2026-11-26T03:00:00.000Z', windowEnd: '2026-11-26T04:00:00.000Z', window: 'auto', source: 'window-auto' });
    expect(result.message).toContain('quietest hour');

    const staging = await stack.scheduler.schedule(upgradeInWindow('auto', 'staging'), alice);
    if (!staging.ok) throw new Error(staging.message);
    expect(staging.schedule).toMatchObject({ at: '2026-11-28T01:00:00.000Z', window: 'nightly' });
    expect(staging.message).toContain('only 0 day(s) of traffic history (need 7); using the next configured window "nightly"');
    expect(stack.announcer.posts[1]?.message.lines?.[0]).toContain('only 0 day(s)');
  } finally {
    redisClient.disconnect();
  }
});
