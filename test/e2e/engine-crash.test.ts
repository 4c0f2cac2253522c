/**
 * Crash resume: the worker runs in a child process that is SIGKILLed (with everything it
 * started) in the middle of a step; a new worker process resumes the upgrade from the cursor
 * saved in the job. Executions are counted with marker files.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { createLocalShell } from '../harness/local-shell.js';
import { alice, bob, makePlan, shStep } from '../jobs/fixtures.js';
import { workerChildren } from '../jobs/worker-children.js';
import { record, startEngine, upgradeCommand, type Harness } from '../jobs/engine-harness.js';

let redis: RedisServer;
let dir: string;
let harness: Harness;
const workers = workerChildren();
const PREFIX = 'crash';

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'clawops-crash-'));
  harness = await startEngine(redis.url, createLocalShell(), { prefix: PREFIX, worker: false });
});
afterAll(async () => {
  workers.killAll();
  await harness.close();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

async function lines(file: string): Promise<number> {
  return existsSync(file) ? (await readFile(file, 'utf8')).split('\n').filter(Boolean).length : 0;
}

test('an upgrade survives two worker crashes without re-running a step that is not safe to repeat', async () => {
  const { engine, setPlan } = harness;
  setPlan(makePlan([
    // Not safe to repeat: its work is done first, then it lingers; `verify` sees the work.
    shStep('install', `echo run >> ${dir}/install-runs; touch ${dir}/installed; sleep 30`, {
      safeToRepeat: false, verify: { argv: ['test', '-f', join(dir, 'installed')] },
    }),
    shStep('warm-up', `echo run >> ${dir}/warm-runs; sleep 2.5`),
    shStep('switch', `echo run >> ${dir}/switch-runs`, { kind: 'switch', safeToRepeat: false }),
  ]));
  const result = await engine.submit(upgradeCommand(), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(engine, result.upgradeId);

  let worker = await workers.start('test/jobs/worker-process.ts', { REDIS_URL: redis.url, CLAWOPS_PREFIX: PREFIX });
  await log.waitFor((event) => event.type === 'step-started' && event.stepId === 'install');
  await expect.poll(() => existsSync(join(dir, 'installed'))).toBe(true);
  await workers.stop(worker);

  worker = await workers.start('test/jobs/worker-process.ts', { REDIS_URL: redis.url, CLAWOPS_PREFIX: PREFIX });
  await log.waitFor((event) => event.type === 'step-started' && event.stepId === 'warm-up', 20_000);
  await expect.poll(() => lines(join(dir, 'warm-runs'))).toBe(1);
  await workers.stop(worker);

  worker = await workers.start('test/jobs/worker-process.ts', { REDIS_URL: redis.url, CLAWOPS_PREFIX: PREFIX });
  expect(await log.waitFor((event) => event.type === 'finished', 30_000)).toMatchObject({ outcome: 'succeeded' });

  expect(await lines(join(dir, 'install-runs'))).toBe(1);
  expect(await lines(join(dir, 'warm-runs'))).toBe(2);
  expect(await lines(join(dir, 'switch-runs'))).toBe(1);
  expect(log.events.find((event) => event.type === 'step-skipped')).toMatchObject({ stepId: 'install' });
  // The thread says a worker died, where, and which attempt took over: once per crash.
  const takeovers = log.events.flatMap((event) => event.type === 'log' && event.message.startsWith('The worker running this upgrade stopped') ? [event.message] : []);
  expect(takeovers).toEqual([
    expect.stringMatching(/stopped during "install"; attempt 2 takes over there/),
    expect.stringMatching(/stopped during "warm-up"; attempt 3 takes over there/),
  ]);
  const audit = await engine.audit.get(result.upgradeId);
  expect(audit?.outcome).toBe('succeeded');
  expect(audit?.steps.map((step) => [step.stepId, step.status, step.runs])).toEqual([
    ['install', 'skipped', 1], ['warm-up', 'succeeded', 2], ['switch', 'succeeded', 1],
  ]);
  log.stop();
  await workers.stop(worker);
}, 90_000);

test('an interrupted unsafe step with no check is not re-run until someone approves', async () => {
  const { engine, setPlan } = harness;
  setPlan(makePlan([
    shStep('migrate', `echo run >> ${dir}/migrate-runs; sleep 30`, { safeToRepeat: false, timeoutMs: 60_000 }),
  ], { hash: 'migrate-plan' }));
  const result = await engine.submit(upgradeCommand(), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(engine, result.upgradeId);
  let worker = await workers.start('test/jobs/worker-process.ts', { REDIS_URL: redis.url, CLAWOPS_PREFIX: PREFIX });
  await log.waitFor((event) => event.type === 'step-started');
  await expect.poll(() => lines(join(dir, 'migrate-runs'))).toBe(1);
  await workers.stop(worker);

  worker = await workers.start('test/jobs/worker-process.ts', { REDIS_URL: redis.url, CLAWOPS_PREFIX: PREFIX });
  const waiting = await log.waitFor((event) => event.type === 'gate-waiting', 20_000);
  expect(waiting).toMatchObject({ gateId: 'confirm:migrate' });
  expect(log.events.some((event) => event.type === 'log' && event.level === 'warn' && event.message.includes('interrupted'))).toBe(true);
  expect(await lines(join(dir, 'migrate-runs'))).toBe(1);
  await expect.poll(() => engine.queue.getJobCounts('active', 'delayed')).toEqual({ active: 0, delayed: 1 });
  // Rejecting leaves it stopped; nothing re-ran.
  expect(await engine.decide(result.upgradeId, { ...bob, decision: 'reject' })).toMatchObject({ counted: true });
  expect(await log.waitFor((event) => event.type === 'finished')).toMatchObject({ outcome: 'cancelled' });
  expect(await lines(join(dir, 'migrate-runs'))).toBe(1);
  log.stop();
  await workers.stop(worker);
}, 60_000);
