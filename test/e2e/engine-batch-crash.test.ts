/**
 * Crash resume and graceful stop with several steps in flight: the worker runs in a child
 * process (test/e2e/engine-batch-worker.ts) working on two hosts of one batch at once. A SIGKILL
 * of its process group is a crash; SIGTERM is a graceful stop. A new worker process resumes from
 * the cursor saved in the job. Executions are counted with marker files.
 */
import { workerChildren } from '../jobs/worker-children.js';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Cursor } from '../../src/jobs/queue.js';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { createLocalShell } from '../harness/local-shell.js';
import { alice } from '../jobs/fixtures.js';
import { record, upgradeCommand } from '../jobs/engine-harness.js';
import { ENV, batchConfigInput, batchPlan, batchStep, startBatchEngine, type BatchEngine } from './engine-batch-harness.js';

let redis: RedisServer;
let dir: string;
let harness: BatchEngine;
let configInput: Record<string, unknown>;
const workers = workerChildren();

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'clawops-batch-crash-'));
  configInput = batchConfigInput({ prefix: 'batch-crash', redisUrl: redis.url, hosts: 2, parallelism: 2 });
  harness = await startBatchEngine(configInput, createLocalShell(), { worker: false });
});
afterAll(async () => {
  workers.killAll();
  await harness.close();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

async function lines(name: string): Promise<number> {
  const file = join(dir, name);
  return existsSync(file) ? (await readFile(file, 'utf8')).split('\n').filter(Boolean).length : 0;
}

const file = (name: string) => join(dir, name);
const waitRelease = (name: string) => `while [ ! -f ${file(name)} ]; do sleep 0.05; done`;

async function cursorOf(upgradeId: string): Promise<Cursor | undefined> {
  return (await harness.engine.queue.getJob(upgradeId))?.data.cursor;
}

test('a crash with two steps in flight resumes both: the finished unsafe step is not re-run, the interrupted one is checked, the safe one repeats', async () => {
  const { engine, setPlan } = harness;
  setPlan(batchPlan([
    batchStep('host-1', 'install', 0, `echo run >> ${file('h1-install-runs')}; touch ${file('h1-installed')}`, {
      safeToRepeat: false, verify: { argv: ['test', '-f', file('h1-installed')] },
    }),
    batchStep('host-1', 'warm-up', 0, `echo run >> ${file('h1-warm-runs')}; ${waitRelease('release-1')}`),
    batchStep('host-2', 'install', 0, `echo run >> ${file('h2-install-runs')}; touch ${file('h2-installed')}; ${waitRelease('release-1')}`, {
      safeToRepeat: false, verify: { argv: ['test', '-f', file('h2-installed')] },
    }),
    batchStep('host-2', 'switch', 0, `echo run >> ${file('h2-switch-runs')}`, { kind: 'switch', safeToRepeat: false }),
  ]));
  const result = await engine.submit(upgradeCommand(ENV), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(engine, result.upgradeId);

  let worker = await workers.start('test/e2e/engine-batch-worker.ts', { CLAWOPS_FLEET_CONFIG: JSON.stringify(configInput) });
  await log.waitFor((event) => event.type === 'step-started' && event.stepId === 'host-1:warm-up');
  await expect.poll(() => lines('h1-warm-runs')).toBe(1);
  await expect.poll(() => existsSync(file('h2-installed'))).toBe(true);
  // Both marks reached Redis although two chains saved at once.
  await expect.poll(async () => (await cursorOf(result.upgradeId))?.started.slice().sort()).toEqual(['host-1:install', 'host-1:warm-up', 'host-2:install']);
  expect((await cursorOf(result.upgradeId))?.done).toEqual(['host-1:install']);
  await workers.stop(worker, 'SIGKILL');
  const finishedBeforeCrash = log.events.flatMap((event) => event.type === 'step-finished' ? [event.stepId] : []);
  expect(finishedBeforeCrash).toEqual(['host-1:install']);

  await writeFile(file('release-1'), '');
  worker = await workers.start('test/e2e/engine-batch-worker.ts', { CLAWOPS_FLEET_CONFIG: JSON.stringify(configInput) });
  expect(await log.waitFor((event) => event.type === 'finished', 30_000)).toMatchObject({ outcome: 'succeeded' });
  expect(await lines('h1-install-runs')).toBe(1);
  expect(await lines('h1-warm-runs')).toBe(2);
  expect(await lines('h2-install-runs')).toBe(1);
  expect(await lines('h2-switch-runs')).toBe(1);
  expect(log.events.filter((event) => event.type === 'step-skipped')).toEqual([expect.objectContaining({ stepId: 'host-2:install' })]);
  const audit = await engine.audit.get(result.upgradeId);
  expect(audit?.steps.map((step) => [step.stepId, step.status, step.runs])).toEqual([
    ['host-1:install', 'succeeded', 1], ['host-1:warm-up', 'succeeded', 2], ['host-2:install', 'skipped', 1], ['host-2:switch', 'succeeded', 1],
  ]);
  log.stop();
  await workers.stop(worker, 'SIGKILL');
}, 60_000);

test('a graceful stop with two hosts in flight hands the job back with both marks saved; a new worker finishes it', async () => {
  const { engine, setPlan } = harness;
  setPlan(batchPlan(['host-1', 'host-2'].flatMap((host) => [
    // `exec`: the abort kills the sleep itself (the local shell waits for every holder of the output pipe).
    batchStep(host, 'slow', 0, `echo run >> ${file(`${host}-slow-runs`)}; exec sleep 5`),
    batchStep(host, 'next', 0, `echo run >> ${file(`${host}-next-runs`)}`),
  ])));
  const result = await engine.submit(upgradeCommand(ENV), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(engine, result.upgradeId);
  let worker = await workers.start('test/e2e/engine-batch-worker.ts', { CLAWOPS_FLEET_CONFIG: JSON.stringify(configInput) });
  await expect.poll(async () => (await lines('host-1-slow-runs')) + (await lines('host-2-slow-runs'))).toBe(2);
  const stoppedAt = Date.now();
  await workers.stop(worker, 'SIGTERM');
  // Running commands were stopped, not waited out (5 s), and nothing after them started.
  expect(Date.now() - stoppedAt).toBeLessThan(4_000);
  expect(await engine.queue.getJobState(result.upgradeId)).toBe('waiting');
  expect((await cursorOf(result.upgradeId))?.started.slice().sort()).toEqual(['host-1:slow', 'host-2:slow']);
  expect(await lines('host-1-next-runs') + await lines('host-2-next-runs')).toBe(0);

  worker = await workers.start('test/e2e/engine-batch-worker.ts', { CLAWOPS_FLEET_CONFIG: JSON.stringify(configInput) });
  expect(await log.waitFor((event) => event.type === 'finished', 30_000)).toMatchObject({ outcome: 'succeeded' });
  for (const host of ['host-1', 'host-2']) {
    expect(await lines(`${host}-slow-runs`)).toBe(2);
    expect(await lines(`${host}-next-runs`)).toBe(1);
  }
  log.stop();
  await workers.stop(worker, 'SIGKILL');
}, 60_000);
