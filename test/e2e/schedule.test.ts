/** Scheduled upgrades end to end: real Redis, BullMQ, engine and local shell; a controllable clock. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { record } from '../jobs/engine-harness.js';
import { bob, alice } from '../jobs/fixtures.js';
import { defaultPlan, fakeClock, minus, scheduleConfig, startStack, upgradeAt, upgradeInWindow, type Stack } from './schedule-harness.js';

let redis: RedisServer;
let dir: string;
let counter = 0;
const open: Stack[] = [];

beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => { await redis.stop(); });
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'clawops-schedule-')); });
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
  await rm(dir, { recursive: true, force: true });
});

async function setup(now: string, options: { windows?: unknown[]; plans?: ReturnType<typeof defaultPlan>[] } = {}) {
  counter += 1;
  const clock = fakeClock(now);
  const config = scheduleConfig(`sch${counter}`, options.windows ? { windows: options.windows } : {});
  const marker = join(dir, 'ran');
  const stack = await startStack(redis.url, config, clock, options.plans ?? [defaultPlan(marker)]);
  open.push(stack);
  return { stack, clock, marker, config };
}

test('a scheduled upgrade is announced, reminded at T-24h/T-1h/T-10m, started and its finish announced', async () => {
  const { stack, clock, marker } = await setup('2026-11-25T10:00:00Z');
  const result = await stack.scheduler.schedule(upgradeAt('2026-11-27 03:00'), alice);
  if (!result.ok) throw new Error(result.message);
  const at = '2026-11-27T02:00:00.000Z';
  expect(result.schedule.at).toBe(at);
  expect(result.message).toContain('2026-11-27 03:00 GMT+1 (02:00 UTC)');
  expect(stack.announcer.kinds()).toEqual(['scheduled']);
  const scheduled = stack.announcer.posts[0]?.message;
  expect(scheduled?.fields).toEqual(expect.arrayContaining([
    { label: 'Expected downtime', value: '4–12 s (restart)' },
    { label: 'Requested by', value: 'alice' },
    { label: 'Where', value: 'production' },
  ]));
  expect(scheduled?.reactions).toEqual(['🛑', '✅']);

  // Nothing is due yet.
  expect(await stack.scheduler.tick()).toBe(0);
  clock.set(minus(at, 24 * 60 + 1));
  expect(await stack.scheduler.tick()).toBe(0);

  for (const [minutes, kinds] of [[24 * 60, 2], [60, 3], [10, 4]] as const) {
    clock.set(minus(at, minutes));
    expect(await stack.scheduler.tick()).toBe(1);
    await expect.poll(() => stack.announcer.posts.length).toBe(kinds);
  }
  expect(stack.announcer.kinds()).toEqual(['scheduled', 'reminder-1440', 'reminder-60', 'reminder-10']);
  expect(stack.announcer.posts[3]?.message.text).toContain('starts in 10 minutes');

  clock.set(at);
  await stack.scheduler.tick();
  await expect.poll(() => stack.announcer.kinds(), { timeout: 10_000 }).toEqual(['scheduled', 'reminder-1440', 'reminder-60', 'reminder-10', 'starting', 'finished']);
  const upgradeId = result.schedule.upgradeId;
  expect(stack.announcer.posts[4]?.message.text).toContain(upgradeId);
  expect(stack.announcer.posts[5]?.extra).toMatchObject({ outcome: 'succeeded' });
  expect(await readFile(marker, 'utf8')).toBe('backup\nswitch\n');
  expect(await stack.engine.audit.get(upgradeId)).toMatchObject({ outcome: 'succeeded', requester: alice });
  expect(await stack.scheduler.list()).toEqual([]);
  // The run's thread replays its id's events: it opens with the plan that runs, never a "dry run" one.
  const log = record(stack.engine, upgradeId);
  await log.waitFor((event) => event.type === 'finished');
  expect(log.events.flatMap((event) => (event.type === 'plan' ? [event.dryRun] : []))).toEqual([false]);
  log.stop();
});

test('reminders already in the past are skipped', async () => {
  const { stack } = await setup('2026-11-25T10:00:00Z');
  const result = await stack.scheduler.schedule(upgradeAt('11:30'), alice);
  if (!result.ok) throw new Error(result.message);
  expect(result.schedule.at).toBe('2026-11-25T10:30:00.000Z');
  expect((await stack.scheduler.list()).map((schedule) => schedule.id)).toEqual([result.schedule.id]);
  const queue = new Queue('scheduled-upgrades', { connection: stack.connection, prefix: `sch${counter}` });
  const ids = (await queue.getDelayed()).map((job) => job.id).sort();
  await queue.close();
  expect(ids).toEqual([result.schedule.id, `${result.schedule.id}-r0-m10`].sort());
});

test('a time in the past or without a window is refused with the reason; nothing is announced', async () => {
  const { stack } = await setup('2026-11-25T10:00:00Z', { windows: [] });
  expect(await stack.scheduler.schedule(upgradeAt('2026-11-01 03:00'), alice)).toMatchObject({ ok: false, message: expect.stringContaining('in the past') });
  expect(await stack.scheduler.schedule(upgradeInWindow('next'), alice)).toMatchObject({ ok: false, message: expect.stringContaining('no upgrade windows are configured') });
  expect(stack.announcer.posts).toEqual([]);
});

test('🛑 by an approver postpones to the next window; by anyone else it is ignored with a note', async () => {
  const { stack, clock } = await setup('2026-11-25T10:00:00Z');
  const result = await stack.scheduler.schedule(upgradeInWindow('next'), alice);
  if (!result.ok) throw new Error(result.message);
  expect(result.schedule).toMatchObject({ at: '2026-11-28T01:00:00.000Z', windowEnd: '2026-11-28T04:00:00.000Z', window: 'nightly' });
  const ref = stack.announcer.posts[0]?.ref;
  if (!ref) throw new Error('no announcement');

  const ignored = await stack.scheduler.onReaction({ ...ref, userId: 'U-MALLORY', userName: 'mallory', reaction: '🛑' });
  expect(ignored).toMatchObject({ handled: true, note: expect.stringContaining('mallory is not an approver') });
  expect((await stack.scheduler.list())[0]?.at).toBe('2026-11-28T01:00:00.000Z');
  expect(stack.announcer.kinds()).toEqual(['scheduled']);

  // Any other emoji on an announcement does nothing, and the person is told privately what would.
  expect(await stack.scheduler.onReaction({ ...ref, userId: 'U-BOB', reaction: 'thumbsup' }))
    .toEqual({ handled: true, answer: ':thumbsup: does nothing here: react 🛑 to postpone (approvers only) or ✅ to pre-approve.' });
  const postponed = await stack.scheduler.onReaction({ ...ref, userId: 'U-BOB', userName: 'bob', reaction: 'octagonal_sign' });
  expect(postponed).toMatchObject({ handled: true, note: expect.stringContaining('postponed by bob') });
  const [moved] = await stack.scheduler.list();
  expect(moved).toMatchObject({ at: '2026-11-29T01:00:00.000Z', windowEnd: '2026-11-29T04:00:00.000Z', revision: 1, postponedBy: 'bob' });
  expect(stack.announcer.kinds()).toEqual(['scheduled', 'postponed']);
  expect(stack.announcer.posts[1]?.message.text).toContain('postponed by bob to 2026-11-29 02:00 GMT+1 (01:00 UTC)');

  // The old slot passes without a start (only the new slot's T-24h reminder is due then); the new one starts it.
  clock.set('2026-11-28T01:00:00Z');
  await stack.scheduler.tick();
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(stack.announcer.kinds()).toEqual(['scheduled', 'postponed', 'reminder-1440']);
  clock.set('2026-11-29T01:00:00Z');
  await stack.scheduler.tick();
  await expect.poll(() => stack.announcer.kinds(), { timeout: 10_000 }).toEqual(['scheduled', 'postponed', 'reminder-1440', 'starting', 'finished']);
});

test('cancel removes the delayed jobs and announces; the time passes without an upgrade', async () => {
  const { stack, clock, marker } = await setup('2026-11-25T10:00:00Z');
  const result = await stack.scheduler.schedule(upgradeAt('2026-11-27 03:00'), alice);
  if (!result.ok) throw new Error(result.message);
  const cancelled = await stack.scheduler.cancel(result.schedule.id, bob);
  expect(cancelled).toMatchObject({ ok: true, message: expect.stringContaining(`cancelled ${result.schedule.id}`) });
  expect(stack.announcer.kinds()).toEqual(['scheduled', 'cancelled']);
  expect(stack.announcer.posts[1]?.message.text).toContain('cancelled by bob');
  expect(await stack.scheduler.cancel(result.schedule.id, bob)).toMatchObject({ ok: false });
  expect(await stack.scheduler.list()).toEqual([]);
  clock.set('2026-11-27T02:00:00Z');
  expect(await stack.scheduler.tick()).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await expect(readFile(marker, 'utf8')).rejects.toThrow();
  expect(await stack.scheduler.onReaction({ ...stack.announcer.posts[0]!.ref, userId: 'U-BOB', reaction: '🛑' }))
    .toMatchObject({ handled: true, note: expect.stringContaining('cancelled') });
});

test('✅ on the announcement pre-approves the gates of the run when the plan is unchanged', async () => {
  const gated = { ...defaultPlan(join(dir, 'ran')), gates: [{ id: 'g-switch', title: 'Switch traffic', reason: 'switch-traffic' as const, beforeStep: 'switch' }] };
  const { stack, clock, marker } = await setup('2026-11-25T10:00:00Z', { plans: [gated] });
  const result = await stack.scheduler.schedule(upgradeAt('2026-11-25 11:30'), alice);
  if (!result.ok) throw new Error(result.message);
  const ref = stack.announcer.posts[0]!.ref;
  expect(await stack.scheduler.onReaction({ ...ref, userId: 'U-MALLORY', reaction: '✅' })).toMatchObject({ handled: true, note: expect.stringContaining('not recorded') });
  expect(await stack.scheduler.onReaction({ ...ref, userId: 'U-BOB', userName: 'bob', reaction: 'white_check_mark' }))
    .toMatchObject({ handled: true, note: expect.stringContaining(`plan ${gated.hash}`) });
  clock.set(result.schedule.at);
  await stack.scheduler.tick();
  await expect.poll(() => stack.announcer.kinds(), { timeout: 10_000 }).toEqual(['scheduled', 'starting', 'finished']);
  expect(stack.announcer.posts[2]?.extra?.outcome).toBe('succeeded');
  const audit = await stack.engine.audit.get(result.schedule.upgradeId);
  expect(JSON.stringify(audit)).toContain('U-BOB');
  expect(await readFile(marker, 'utf8')).toBe('backup\nswitch\n');
});

test('an advance approval for a plan that changed does not count, and the upgrade thread says so', async () => {
  const shown = { ...defaultPlan(join(dir, 'ran')), gates: [{ id: 'g-switch', title: 'Switch traffic', reason: 'switch-traffic' as const, beforeStep: 'switch' }] };
  const changed = { ...shown, hash: 'changed-hash' };
  const { stack, clock } = await setup('2026-11-25T10:00:00Z', { plans: [shown, changed] });
  const result = await stack.scheduler.schedule(upgradeAt('2026-11-25 11:30'), alice);
  if (!result.ok) throw new Error(result.message);
  await stack.scheduler.onReaction({ ...stack.announcer.posts[0]!.ref, userId: 'U-BOB', reaction: '✅' });
  clock.set(result.schedule.at);
  await stack.scheduler.tick();
  await expect.poll(() => stack.announcer.kinds()).toContain('starting');
  const log = record(stack.engine, result.schedule.upgradeId);
  const note = await log.waitFor((event) => event.type === 'gate-approval');
  expect(note).toMatchObject({ counted: false, note: expect.stringContaining('the plan changed') });
  expect(await stack.engine.decide(result.schedule.upgradeId, { platform: 'slack', userId: 'U-BOB', decision: 'approve' })).toMatchObject({ counted: true });
  await expect.poll(() => stack.announcer.kinds(), { timeout: 10_000 }).toContain('finished');
  log.stop();
});

test('past the window end before traffic is switched, the upgrade stops before the switch and asks', async () => {
  const { stack, clock, marker } = await setup('2026-11-25T10:00:00Z');
  const result = await stack.scheduler.schedule(upgradeInWindow('next'), alice);
  if (!result.ok) throw new Error(result.message);
  // The bot was down for the whole window: the start job runs after it closed.
  clock.set('2026-11-28T04:01:00Z');
  await stack.scheduler.tick();
  await expect.poll(() => stack.announcer.kinds()).toContain('starting');
  const log = record(stack.engine, result.schedule.upgradeId);
  const waiting = await log.waitFor((event) => event.type === 'gate-waiting');
  expect(waiting).toMatchObject({ gateId: 'window-closed:switch', title: expect.stringContaining('window closed') });
  expect(await readFile(marker, 'utf8')).toBe('backup\n');
  expect(await stack.engine.decide(result.schedule.upgradeId, { platform: 'slack', userId: 'U-BOB', decision: 'approve' })).toMatchObject({ counted: true });
  await expect.poll(() => stack.announcer.kinds(), { timeout: 10_000 }).toEqual(['scheduled', 'starting', 'finished']);
  expect(await readFile(marker, 'utf8')).toBe('backup\nswitch\n');
  log.stop();
});
