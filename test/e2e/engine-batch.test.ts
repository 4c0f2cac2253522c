/**
 * Rolling batches end to end on a real Redis and real processes: the hosts of a batch run
 * side by side (each host's steps in order), batches one after another, and a failed host either
 * stops the upgrade after its batch (maxFailPercent 0) or is skipped while the failures stay
 * within maxFailPercent. Timing is judged by the events' own timestamps; marker files show what ran.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { createLocalShell } from '../harness/local-shell.js';
import { alice, bob } from '../jobs/fixtures.js';
import { record, upgradeCommand } from '../jobs/engine-harness.js';
import { ENV, batchConfigInput, batchPlan, batchStep, fleetStep, startBatchEngine, startedIds, stepTimes, type BatchEngine } from './engine-batch-harness.js';

let redis: RedisServer;
let dir: string;
const open: BatchEngine[] = [];
let counter = 0;

beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => { await redis.stop(); });
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function setup(hosts: number, parallelism: number, maxFailPercent = 0): Promise<BatchEngine> {
  dir = await mkdtemp(join(tmpdir(), 'clawops-batch-'));
  counter += 1;
  const harness = await startBatchEngine(batchConfigInput({ prefix: `b${counter}`, redisUrl: redis.url, hosts, parallelism, maxFailPercent }), createLocalShell());
  open.push(harness);
  return harness;
}

const marker = (name: string) => join(dir, name);
const hostsOf = (count: number) => Array.from({ length: count }, (_, index) => `host-${index + 1}`);

async function run(harness: BatchEngine) {
  const result = await harness.engine.submit(upgradeCommand(ENV), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(harness.engine, result.upgradeId);
  const finished = await log.waitFor((event) => event.type === 'finished', 20_000);
  log.stop();
  return { upgradeId: result.upgradeId, finished, events: log.events };
}

test('a batch of 3 hosts with a 1 s step each runs them side by side: the three steps overlap and take ~1 s, not ~3 s', async () => {
  const harness = await setup(3, 3);
  harness.setPlan(batchPlan(hostsOf(3).flatMap((host) => [
    batchStep(host, 'work', 0, `sleep 1; touch ${marker(`${host}-work`)}`),
    batchStep(host, 'after', 0, `test -f ${marker(`${host}-work`)} && touch ${marker(`${host}-after`)}`),
  ])));
  const { finished, events } = await run(harness);
  expect(finished).toMatchObject({ outcome: 'succeeded' });
  const times = stepTimes(events);
  const work = hostsOf(3).map((host) => times.get(`${host}:work`));
  const lastStart = Math.max(...work.map((entry) => entry?.start ?? Infinity));
  const firstEnd = Math.min(...work.map((entry) => entry?.end ?? -Infinity));
  // Every host's 1 s step started before any of them finished.
  expect(lastStart).toBeLessThan(firstEnd);
  const span = Math.max(...work.map((entry) => entry?.end ?? Infinity)) - Math.min(...work.map((entry) => entry?.start ?? -Infinity));
  expect(span).toBeLessThan(2_000);
  // Each host's chain kept its order: `after` found the marker `work` wrote.
  for (const host of hostsOf(3)) {
    expect(existsSync(marker(`${host}-after`))).toBe(true);
    expect(times.get(`${host}:after`)?.start ?? 0).toBeGreaterThanOrEqual(times.get(`${host}:work`)?.end ?? Infinity);
  }
});

test('batches run one after another: no host of batch 1 starts before every host of batch 0 is done', async () => {
  const harness = await setup(4, 2);
  harness.setPlan(batchPlan([
    ...hostsOf(2).map((host, index) => batchStep(host, 'work', 0, `sleep ${0.3 + index * 0.3}; touch ${marker(host)}`)),
    ...['host-3', 'host-4'].map((host) => batchStep(host, 'work', 1, `sleep 0.3; touch ${marker(host)}`)),
    fleetStep('record', 'upgrade recorded'),
  ]));
  const { finished, events } = await run(harness);
  expect(finished).toMatchObject({ outcome: 'succeeded' });
  const times = stepTimes(events);
  const batch0End = Math.max(...hostsOf(2).map((host) => times.get(`${host}:work`)?.end ?? Infinity));
  for (const host of ['host-3', 'host-4']) expect(times.get(`${host}:work`)?.start ?? -Infinity).toBeGreaterThanOrEqual(batch0End);
  // Within each batch the hosts overlapped.
  expect(times.get('host-2:work')?.start ?? Infinity).toBeLessThan(times.get('host-1:work')?.end ?? -Infinity);
  expect(times.get('host-4:work')?.start ?? Infinity).toBeLessThan(times.get('host-3:work')?.end ?? -Infinity);
  expect(startedIds(events).at(-1)).toBe('record');
  expect(events.some((event) => event.type === 'step-finished' && event.stepId === 'record')).toBe(true);
});

test('maxFailPercent 0: a failed host stops the upgrade after its batch; the others finish their running step, nothing new starts', async () => {
  const harness = await setup(4, 2, 0);
  harness.setPlan(batchPlan([
    batchStep('host-1', 'a', 0, 'echo "disk full" >&2; exit 3'),
    batchStep('host-1', 'b', 0, `touch ${marker('host-1-b')}`),
    batchStep('host-2', 'a', 0, `sleep 0.8; touch ${marker('host-2-a')}`),
    batchStep('host-2', 'b', 0, `touch ${marker('host-2-b')}`),
    ...['host-3', 'host-4'].map((host) => batchStep(host, 'a', 1, `touch ${marker(host)}`)),
    fleetStep('record', 'upgrade recorded'),
  ]));
  const { upgradeId, finished, events } = await run(harness);
  expect(finished).toMatchObject({ outcome: 'failed', summary: expect.stringContaining('on host-1') });
  expect(events.find((event) => event.type === 'step-failed')).toMatchObject({ stepId: 'host-1:a', exitCode: 3 });
  expect(existsSync(marker('host-2-a'))).toBe(true);
  expect(events.some((event) => event.type === 'step-finished' && event.stepId === 'host-2:a')).toBe(true);
  for (const name of ['host-1-b', 'host-2-b', 'host-3', 'host-4']) expect(existsSync(marker(name))).toBe(false);
  expect(startedIds(events).sort()).toEqual(['host-1:a', 'host-2:a']);
  await expect.poll(() => harness.engine.queue.getJobState(upgradeId)).toBe('failed');
});

test('maxFailPercent 50: a failed host is skipped for the rest of the rollout, the others go on, and the result names it', async () => {
  const harness = await setup(4, 2, 50);
  harness.setPlan(batchPlan([
    ...hostsOf(4).flatMap((host, index) => [
      batchStep(host, 'a', Math.floor(index / 2), host === 'host-2' ? 'exit 4' : `touch ${marker(`${host}-a`)}`),
      batchStep(host, 'b', Math.floor(index / 2), `touch ${marker(`${host}-b`)}`),
    ]),
    fleetStep('record', 'upgrade recorded'),
  ]));
  const { upgradeId, finished, events } = await run(harness);
  expect(finished).toMatchObject({ outcome: 'succeeded', summary: expect.stringContaining('1 host(s) failed and were skipped: host-2') });
  expect(events.find((event) => event.type === 'step-skipped')).toMatchObject({ stepId: 'host-2:b', reason: expect.stringContaining('host-2 failed') });
  expect(events.some((event) => event.type === 'log' && event.level === 'warn' && event.message.includes('1 of 4 hosts'))).toBe(true);
  expect(existsSync(marker('host-2-b'))).toBe(false);
  for (const name of ['host-1-b', 'host-3-a', 'host-3-b', 'host-4-b']) expect(existsSync(marker(name))).toBe(true);
  expect(events.some((event) => event.type === 'step-finished' && event.stepId === 'record')).toBe(true);
  // `finished` is emitted just before the processor returns its result.
  await expect.poll(() => harness.engine.queue.getJob(upgradeId).then((job) => job?.returnvalue ?? null)).toMatchObject({ failedHosts: ['host-2'] });
  const audit = await harness.engine.audit.get(upgradeId);
  expect(audit?.steps.filter((step) => step.stepId.startsWith('host-2:')).map((step) => step.status)).toEqual(['failed', 'skipped']);
});

test('maxFailPercent 30: the second failed host crosses the threshold and the upgrade fails naming both', async () => {
  const harness = await setup(4, 2, 30);
  harness.setPlan(batchPlan([
    ...hostsOf(4).map((host, index) => batchStep(host, 'a', Math.floor(index / 2), host === 'host-1' || host === 'host-3' ? 'exit 1' : `touch ${marker(host)}`)),
    fleetStep('record', 'upgrade recorded'),
  ]));
  const { finished, events } = await run(harness);
  expect(finished).toMatchObject({ outcome: 'failed' });
  const summary = finished.type === 'finished' ? finished.summary : '';
  expect(summary).toContain('host-1');
  expect(summary).toContain('host-3');
  expect(existsSync(marker('host-4'))).toBe(true);
  expect(startedIds(events)).not.toContain('record');
});

test('gates inside a batch: both hosts run up to their gate together, then the job parks for each gate in turn', async () => {
  const harness = await setup(2, 2);
  harness.setPlan(batchPlan(hostsOf(2).flatMap((host) => [
    batchStep(host, 'green-up', 0, `sleep 0.5; touch ${marker(`${host}-green`)}`),
    batchStep(host, 'switch', 0, `touch ${marker(`${host}-switched`)}`, { kind: 'switch', after: [`${host}:switch-traffic`] }),
  ]), hostsOf(2).map((host) => ({ id: `${host}:switch-traffic`, title: `Switch ${host}`, reason: 'switch-traffic' as const, beforeStep: `${host}:switch` }))));
  const result = await harness.engine.submit(upgradeCommand(ENV), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(harness.engine, result.upgradeId);
  expect(await log.waitFor((event) => event.type === 'gate-waiting')).toMatchObject({ gateId: 'host-1:switch-traffic' });
  const times = stepTimes(log.events);
  expect(times.get('host-2:green-up')?.start ?? Infinity).toBeLessThan(times.get('host-1:green-up')?.end ?? -Infinity);
  expect(existsSync(marker('host-2-green'))).toBe(true);
  expect(existsSync(marker('host-1-switched'))).toBe(false);
  await expect.poll(() => harness.engine.queue.getJobCounts('active', 'delayed')).toEqual({ active: 0, delayed: 1 });
  await harness.engine.decide(result.upgradeId, { ...bob, decision: 'approve' });
  await log.waitFor((event) => event.type === 'gate-waiting' && event.gateId === 'host-2:switch-traffic');
  expect(existsSync(marker('host-1-switched'))).toBe(true);
  expect(existsSync(marker('host-2-switched'))).toBe(false);
  await expect.poll(() => harness.engine.queue.getJobCounts('active', 'delayed')).toEqual({ active: 0, delayed: 1 });
  await harness.engine.decide(result.upgradeId, { ...bob, decision: 'approve' });
  expect(await log.waitFor((event) => event.type === 'finished')).toMatchObject({ outcome: 'succeeded' });
  expect(existsSync(marker('host-2-switched'))).toBe(true);
  log.stop();
});

test('cancel with several hosts in flight: their running steps finish, no further step starts', async () => {
  const harness = await setup(2, 2);
  harness.setPlan(batchPlan(hostsOf(2).flatMap((host) => [
    batchStep(host, 'slow', 0, `sleep 0.8; touch ${marker(`${host}-slow`)}`),
    batchStep(host, 'next', 0, `touch ${marker(`${host}-next`)}`),
  ])));
  const result = await harness.engine.submit(upgradeCommand(ENV), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(harness.engine, result.upgradeId);
  await log.waitFor((event) => event.type === 'step-started' && event.stepId === 'host-2:slow');
  expect(await harness.engine.cancel(result.upgradeId, bob)).toMatchObject({ ok: true });
  expect(await log.waitFor((event) => event.type === 'finished')).toMatchObject({ outcome: 'cancelled', summary: expect.stringContaining('bob') });
  for (const host of hostsOf(2)) {
    expect(existsSync(marker(`${host}-slow`))).toBe(true);
    expect(existsSync(marker(`${host}-next`))).toBe(false);
  }
  expect(startedIds(log.events).sort()).toEqual(['host-1:slow', 'host-2:slow']);
  log.stop();
});
