/**
 * One runner per upgrade: an attempt whose fencing token is no longer the newest (another
 * processor took the job over after a missed lock renewal) ends its command in flight, starts
 * nothing and records nothing. The takeover is simulated by taking the next token, exactly what
 * a new processor does first.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest';
import { AttemptFence, takeOver } from '../../src/jobs/fence.js';
import { initialCursor } from '../../src/jobs/queue.js';
import { createServices } from '../../src/jobs/services.js';
import { createLocalShell } from '../harness/local-shell.js';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { alice, makePlan, shStep } from '../jobs/fixtures.js';
import { record, startEngine, upgradeCommand, type Harness } from '../jobs/engine-harness.js';

const PREFIX = 'fence';
let redis: RedisServer;
let client: Redis;
let dir: string;
let harness: Harness;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  dir = await mkdtemp(join(tmpdir(), 'clawops-fence-'));
  harness = await startEngine(redis.url, createLocalShell(), { prefix: PREFIX });
});
afterAll(async () => {
  await harness.close();
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a cursor write lands only with the newest token; a gone job is said to be gone', async () => {
  const fence = new AttemptFence(client, 'fence-unit');
  const queue = new Queue('fence-unit-queue', { connection: client, prefix: 'fence-unit' });
  try {
    const job = await queue.add('u1', { upgradeId: 'u1', n: 0 }, { jobId: 'u1' });
    const first = await fence.begin('u1');
    const second = await fence.begin('u1');
    expect(second).toBe(first + 1);
    expect(await fence.holds('u1', first)).toBe(false);
    expect(await fence.save(job, 'u1', first, { upgradeId: 'u1', n: 1 })).toBe('stale');
    expect((await queue.getJob('u1'))?.data).toEqual({ upgradeId: 'u1', n: 0 });
    expect(await fence.save(job, 'u1', second, { upgradeId: 'u1', n: 2 })).toBe('saved');
    expect((await queue.getJob('u1'))?.data).toEqual({ upgradeId: 'u1', n: 2 });
    await job.remove();
    expect(await fence.save(job, 'u1', second, { upgradeId: 'u1', n: 3 })).toBe('gone');
  } finally {
    await queue.close();
  }
});

test('an attempt that loses its token ends its command in flight and never starts the next step', async () => {
  const { engine, setPlan } = harness;
  setPlan(makePlan([
    shStep('slow', `echo run >> ${dir}/slow; sleep 4; echo done >> ${dir}/slow-done`),
    shStep('next', `echo run >> ${dir}/next`, { kind: 'switch', safeToRepeat: false }),
  ]));
  const submitted = await engine.submit(upgradeCommand(), alice);
  if (!submitted.ok) throw new Error(submitted.message);
  const log = record(engine, submitted.upgradeId);
  await log.waitFor((event) => event.type === 'step-started' && event.stepId === 'slow');
  // What a processor that took the job over does first.
  await client.incr(`${PREFIX}:fence:${submitted.upgradeId}`);
  await new Promise((resolve) => setTimeout(resolve, 5500));
  log.stop();
  expect(existsSync(join(dir, 'slow'))).toBe(true);
  expect(existsSync(join(dir, 'slow-done'))).toBe(false);
  expect(existsSync(join(dir, 'next'))).toBe(false);
  // The superseded attempt recorded nothing about the step it was running.
  expect(log.events.filter((event) => (event.type === 'step-finished' || event.type === 'step-failed') && event.stepId === 'slow')).toEqual([]);
  expect(log.events.some((event) => event.type === 'step-started' && event.stepId === 'next')).toBe(false);
}, 30_000);

test('a job handed over inside the same worker runs on after one takeover, not in a loop', async () => {
  // Its own prefix: the test above leaves a superseded upgrade holding staging and host-a.
  const loop = await startEngine(redis.url, createLocalShell(), { prefix: 'fence-loop' });
  onTestFinished(() => loop.close());
  const { engine, setPlan } = loop;
  setPlan(makePlan([
    shStep('slow', `echo run >> ${dir}/loop; sleep 8; echo done >> ${dir}/loop-done`),
    shStep('last', `echo run >> ${dir}/loop-last`, { kind: 'switch', safeToRepeat: false }),
  ]));
  const submitted = await engine.submit(upgradeCommand(), alice);
  if (!submitted.ok) throw new Error(submitted.message);
  const log = record(engine, submitted.upgradeId);
  await log.waitFor((event) => event.type === 'step-started' && event.stepId === 'slow');
  // A lost lock, as after a missed renewal: the stall check hands the job to a processor of the
  // same worker (concurrency 4) while the first still runs it.
  await client.del(`fence-loop:upgrades:${submitted.upgradeId}:lock`);
  const finished = await log.waitFor((event) => event.type === 'finished', 60_000);
  log.stop();
  expect(finished).toMatchObject({ outcome: 'succeeded' });
  // One takeover: the superseded attempt's end did not stop the renewal of the newer attempt's lock.
  expect(Number(await client.get(`fence-loop:fence:${submitted.upgradeId}`))).toBe(2);
  const read = async (name: string) => (await readFile(join(dir, name), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  expect(await read('loop')).toBe(2);
  expect(await read('loop-done')).toBe(1);
  expect(await read('loop-last')).toBe(1);
}, 90_000);

test('a step a dead worker saved as done but never reported is reported by the attempt that takes over', async () => {
  const services = createServices(client, 'fence-report');
  const plan = makePlan([shStep('backup', 'true', { safeToRepeat: false }), shStep('probe', 'true')]);
  const upgradeId = 'up-unreported';
  await services.emit({ type: 'plan', upgradeId, plan, requester: alice, dryRun: false });
  const at = new Date().toISOString();
  await services.emit({ type: 'step-started', upgradeId, stepId: 'backup', at });
  // The worker saved "backup done" in the cursor and died before its step-finished.
  const cursor = { ...initialCursor(), started: ['backup'], done: ['backup'] };
  const said: string[] = [];
  await takeOver({ upgradeId, plan, cursor, attempt: 2, attemptsMade: 0, services, say: async (message) => { said.push(message); } });
  const record = await services.audit.get(upgradeId);
  expect(record?.steps.find((step) => step.stepId === 'backup')).toMatchObject({ status: 'succeeded', runs: 1, excerpt: expect.stringContaining('recorded by the attempt that took over') });
  expect(record?.steps.find((step) => step.stepId === 'probe')).toMatchObject({ status: 'pending', runs: 0 });
  // Nothing was interrupted mid-run, so nothing is announced or waited for.
  expect(said).toEqual([]);
});
