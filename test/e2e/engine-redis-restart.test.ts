/**
 * Redis restarted mid-upgrade (AOF on, as production should run it): the worker's connection
 * drops while a step runs on the host, comes back, and the upgrade finishes without running the
 * unsafe step twice. A gate parked across a restart is still there and an approval releases it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { createLocalShell } from '../harness/local-shell.js';
import { alice, bob, makePlan, shStep } from '../jobs/fixtures.js';
import { startEngine, upgradeCommand, type Harness } from '../jobs/engine-harness.js';

let redis: RedisServer;
let dir: string;
let harness: Harness;

beforeAll(async () => {
  redis = await startRedis({ appendOnly: true });
  dir = await mkdtemp(join(tmpdir(), 'clawops-redis-restart-'));
  harness = await startEngine(redis.url, createLocalShell(), { prefix: 'rr' });
});
afterAll(async () => {
  await harness.close();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

async function runs(name: string): Promise<number> {
  const file = join(dir, name);
  return existsSync(file) ? (await readFile(file, 'utf8')).split('\n').filter(Boolean).length : 0;
}

const outcome = async (upgradeId: string) => (await harness.engine.audit.get(upgradeId))?.outcome;

test('Redis restarted while a step runs: the upgrade finishes and the unsafe step ran once', async () => {
  harness.setPlan(makePlan([
    shStep('backup', `echo run >> ${dir}/backup-runs`),
    shStep('install', `echo run >> ${dir}/install-runs; sleep 2`, { kind: 'install', safeToRepeat: false, verify: { argv: ['test', '-f', join(dir, 'install-runs')] } }),
    shStep('switch', `echo run >> ${dir}/switch-runs`, { kind: 'switch', safeToRepeat: false }),
  ]));
  const result = await harness.engine.submit(upgradeCommand(), alice);
  if (!result.ok) throw new Error(result.message);
  await expect.poll(() => runs('install-runs'), { timeout: 15_000 }).toBe(1);
  await redis.restart();
  await expect.poll(() => outcome(result.upgradeId).catch(() => undefined), { timeout: 60_000, interval: 250 }).toBe('succeeded');
  expect([await runs('backup-runs'), await runs('install-runs'), await runs('switch-runs')]).toEqual([1, 1, 1]);
}, 90_000);

test('a gate parked across a Redis restart still waits, and an approval after it releases the job', async () => {
  harness.setPlan(makePlan([
    shStep('prepare', `echo run >> ${dir}/prepare-runs`),
    shStep('flip', `echo run >> ${dir}/flip-runs`, { kind: 'switch', safeToRepeat: false, after: ['go'] }),
  ], { gates: [{ id: 'go', title: 'Flip traffic', reason: 'switch-traffic', beforeStep: 'flip' }], hash: 'hash-gate-restart' }));
  const result = await harness.engine.submit(upgradeCommand(), alice);
  if (!result.ok) throw new Error(result.message);
  await expect.poll(async () => (await harness.engine.queue.getJob(result.upgradeId))?.isDelayed(), { timeout: 15_000 }).toBe(true);
  await redis.restart();
  expect(await runs('flip-runs')).toBe(0);
  await expect.poll(async () => (await harness.engine.queue.getJob(result.upgradeId).catch(() => undefined))?.isDelayed(), { timeout: 15_000 }).toBe(true);
  expect(await harness.engine.decide(result.upgradeId, { ...bob, decision: 'approve', planHash: 'hash-gate-restart' })).toMatchObject({ counted: true, have: 1, need: 1 });
  await expect.poll(() => outcome(result.upgradeId).catch(() => undefined), { timeout: 30_000, interval: 250 }).toBe('succeeded');
  expect([await runs('prepare-runs'), await runs('flip-runs')]).toEqual([1, 1]);
}, 90_000);
