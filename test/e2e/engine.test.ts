/**
 * The upgrade engine end to end on a real Redis and real processes (test/harness/local-shell:
 * argv runs on this machine until the sshd test hosts land).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { createLocalShell } from '../harness/local-shell.js';
import { alice, bob, carol, makePlan, mallory, shStep } from '../jobs/fixtures.js';
import { record, startEngine, upgradeCommand, type Harness } from '../jobs/engine-harness.js';

let redis: RedisServer;
let dir: string;
const open: Harness[] = [];
let counter = 0;

beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => { await redis.stop(); });
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function setup(options: { approvals?: Record<string, unknown>; gateTimeoutMs?: number; failConnects?: Record<string, number>; worker?: boolean } = {}) {
  dir = await mkdtemp(join(tmpdir(), 'clawops-engine-'));
  counter += 1;
  const harness = await startEngine(redis.url, createLocalShell(options.failConnects ? { failConnects: options.failConnects } : {}), { prefix: `t${counter}`, ...options });
  open.push(harness);
  return harness;
}

const summary = (events: { type: string; stepId?: string }[]) => events.map((event) => event.type + (event.stepId ? `:${event.stepId}` : ''));

test('a plan runs to completion with its events in order and a complete audit record', async () => {
  const { engine, setPlan } = await setup();
  setPlan(makePlan([
    shStep('backup', `echo backing up; echo b > ${dir}/backup`),
    shStep('install', `echo installed > ${dir}/install`, { safeToRepeat: false }),
    shStep('switch', `echo switched > ${dir}/switch`, { kind: 'switch' }),
  ]));
  const result = await engine.submit(upgradeCommand(), alice);
  expect(result.ok).toBe(true);
  if (!result.ok) return;
  const log = record(engine, result.upgradeId);
  const finished = await log.waitFor((event) => event.type === 'finished');
  expect(finished).toMatchObject({ outcome: 'succeeded' });
  expect(summary(log.events)).toEqual([
    'plan', 'step-started:backup', 'step-finished:backup', 'step-started:install', 'step-finished:install',
    'step-started:switch', 'step-finished:switch', 'finished',
  ]);
  expect(log.events[2]).toMatchObject({ exitCode: 0, excerpt: 'backing up' });
  expect(await readFile(join(dir, 'switch'), 'utf8')).toBe('switched\n');

  const audit = await engine.audit.get(result.upgradeId);
  expect(audit).toMatchObject({ requester: alice, environment: 'staging', toVersion: '2026.9.2', planHash: result.plan.hash, outcome: 'succeeded' });
  expect(audit?.steps.map((step) => [step.stepId, step.status, step.exitCode, step.runs])).toEqual([
    ['backup', 'succeeded', 0, 1], ['install', 'succeeded', 0, 1], ['switch', 'succeeded', 0, 1],
  ]);
  for (const step of audit?.steps ?? []) {
    expect(Date.parse(step.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(step.startedAt ?? ''));
    expect(step.durationMs).toBeGreaterThanOrEqual(0);
  }
  expect((await engine.audit.listHistory('staging', 5)).map((entry) => entry.type)).toEqual(['upgrade']);
  log.stop();
});

test('a failing step stops the upgrade with its exit code and the end of its output', async () => {
  const { engine, setPlan } = await setup();
  setPlan(makePlan([
    shStep('preflight', `for i in $(seq 1 30); do echo line $i; done; echo 'disk full' >&2; exit 3`),
    shStep('install', `touch ${dir}/installed`),
  ]));
  const result = await engine.submit(upgradeCommand(), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(engine, result.upgradeId);
  expect(await log.waitFor((event) => event.type === 'finished')).toMatchObject({ outcome: 'failed' });
  const failed = log.events.find((event) => event.type === 'step-failed');
  expect(failed).toMatchObject({ stepId: 'preflight', exitCode: 3 });
  const excerpt = failed && 'excerpt' in failed ? failed.excerpt ?? '' : '';
  expect(excerpt.split('\n')).toHaveLength(20);
  expect(excerpt).toContain('disk full');
  expect(excerpt).toContain('line 30');
  expect(excerpt).not.toContain('line 5\n');
  expect(existsSync(join(dir, 'installed'))).toBe(false);
  await expect.poll(() => engine.queue.getJobState(result.upgradeId)).toBe('failed');
  log.stop();
});

test('a second upgrade of a locked environment is refused naming the holder; the lock frees when the first ends', async () => {
  const { engine, setPlan } = await setup();
  setPlan(makePlan([shStep('slow', 'sleep 1.5')]));
  const first = await engine.submit(upgradeCommand(), alice);
  if (!first.ok) throw new Error(first.message);
  const second = await engine.submit(upgradeCommand(), bob);
  expect(second.ok).toBe(false);
  if (second.ok) return;
  expect(second.code).toBe('ENVIRONMENT_LOCKED');
  expect(second.message).toContain('alice');
  expect(second.message).toMatch(/since \d{4}-\d\d-\d\dT/);
  expect(second.message).toContain(first.upgradeId);
  // Another environment on other hosts runs side by side (a plan on host-a would be refused: see below).
  setPlan(makePlan([shStep('slow', 'sleep 0.2', { host: 'host-b', environment: 'production' })], { environment: 'production' }));
  const other = await engine.submit(upgradeCommand('production'), bob);
  expect(other.ok).toBe(true);
  setPlan(makePlan([shStep('slow', 'sleep 1.5')]));
  const log = record(engine, first.upgradeId);
  await log.waitFor((event) => event.type === 'finished');
  log.stop();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const third = await engine.submit(upgradeCommand(), bob);
  expect(third).toMatchObject({ ok: true });
  const refusals = (await engine.audit.listHistory('staging', 10)).filter((entry) => entry.type === 'refusal');
  expect(refusals).toHaveLength(1);
  expect(refusals[0]).toMatchObject({ code: 'ENVIRONMENT_LOCKED', requester: bob });
});

test('a staging-first production upgrade holds the staging host: a staging upgrade meanwhile is refused naming it and the holder', async () => {
  const { engine, setPlan } = await setup();
  setPlan(makePlan([
    shStep('staging-install', `echo production >> ${dir}/host-a`, { host: 'host-a', environment: 'staging', safeToRepeat: false }),
    shStep('staging-wait', 'sleep 1.5', { host: 'host-a', environment: 'staging' }),
    shStep('install', `echo production >> ${dir}/host-b`, { host: 'host-b', environment: 'production', safeToRepeat: false }),
  ], { environment: 'production' }));
  const production = await engine.submit(upgradeCommand('production'), alice);
  if (!production.ok) throw new Error(production.message);

  setPlan(makePlan([shStep('install', `echo staging >> ${dir}/host-a`, { safeToRepeat: false })]));
  const racing = await Promise.all(Array.from({ length: 5 }, () => engine.submit(upgradeCommand('staging'), bob)));
  for (const staging of racing) {
    expect(staging).toMatchObject({ ok: false, code: 'ENVIRONMENT_LOCKED' });
    expect(staging.ok ? '' : staging.message).toMatch(new RegExp(`^host-a is being upgraded by ${production.upgradeId} \\(alice, since \\d\\d:\\d\\d UTC, upgrade of production\\)`));
  }
  const refusals = (await engine.audit.listHistory('staging', 10)).filter((entry) => entry.type === 'refusal');
  expect(refusals).toHaveLength(5);
  expect(refusals[0]).toMatchObject({ code: 'ENVIRONMENT_LOCKED', requester: bob });

  const log = record(engine, production.upgradeId);
  expect(await log.waitFor((event) => event.type === 'finished')).toMatchObject({ outcome: 'succeeded' });
  log.stop();
  // Its locks were freed with the environment lock: the staging upgrade now runs.
  const staging = await engine.submit(upgradeCommand('staging'), bob);
  if (!staging.ok) throw new Error(staging.message);
  const after = record(engine, staging.upgradeId);
  expect(await after.waitFor((event) => event.type === 'finished')).toMatchObject({ outcome: 'succeeded' });
  after.stop();
  expect(await readFile(join(dir, 'host-a'), 'utf8')).toBe('production\nstaging\n');
});

test('of 20 concurrent upgrades of one environment exactly one is enqueued', async () => {
  const { engine, setPlan } = await setup({ worker: false });
  setPlan(makePlan([shStep('install', 'true', { host: 'host-b', environment: 'production' })], { environment: 'production' }));
  const results = await Promise.all(Array.from({ length: 20 }, (_, index) => engine.submit(upgradeCommand('production'), index % 2 === 0 ? alice : bob)));
  const accepted = results.filter((result) => result.ok);
  expect(accepted).toHaveLength(1);
  expect(results.filter((result) => !result.ok && result.code === 'ENVIRONMENT_LOCKED')).toHaveLength(19);
  expect(await engine.queue.getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 1, active: 0, delayed: 0 });
});

test('a gate parks the job without holding a worker; only valid distinct approvals release it', async () => {
  const { engine, setPlan } = await setup({ approvals: { minApprovers: 2 } });
  setPlan(makePlan([
    shStep('install', `touch ${dir}/installed`),
    shStep('switch', `touch ${dir}/switched`, { kind: 'switch' }),
  ], { gates: [{ id: 'switch-traffic', title: 'Switch traffic', reason: 'switch-traffic', beforeStep: 'switch' }], hash: 'plan-v1' }));
  const result = await engine.submit(upgradeCommand(), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(engine, result.upgradeId);
  expect(await log.waitFor((event) => event.type === 'gate-waiting')).toMatchObject({ gateId: 'switch-traffic', needed: 2, planHash: 'plan-v1' });
  await expect.poll(() => engine.queue.getJobCounts('active', 'delayed', 'waiting')).toEqual({ active: 0, delayed: 1, waiting: 0 });

  const id = result.upgradeId;
  expect(await engine.decide(id, { ...mallory, decision: 'approve' })).toMatchObject({ counted: false, reason: expect.stringContaining('not an approver') });
  expect(await engine.decide(id, { ...alice, decision: 'approve' })).toMatchObject({ counted: false, reason: expect.stringContaining('someone else') });
  expect(await engine.decide(id, { ...bob, decision: 'approve', planHash: 'plan-v0' })).toMatchObject({ counted: false, reason: expect.stringContaining('plan changed') });
  expect(await engine.decide(id, { ...bob, decision: 'approve', planHash: 'plan-v1' })).toMatchObject({ counted: true, have: 1, need: 2 });
  expect(await engine.decide(id, { ...bob, decision: 'approve' })).toMatchObject({ counted: true, have: 1, need: 2 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(existsSync(join(dir, 'switched'))).toBe(false);
  expect(await engine.queue.getJobState(id)).toBe('delayed');

  const groupMember = { platform: 'discord', userId: 'D-DAVE', displayName: 'dave', groups: ['R-OPS'] } as const;
  const before = Date.now();
  expect(await engine.decide(id, { ...groupMember, decision: 'approve' })).toMatchObject({ counted: true, have: 2, need: 2 });
  const passed = await log.waitFor((event) => event.type === 'gate-passed');
  expect(Date.now() - before).toBeLessThan(1000);
  expect(passed.type === 'gate-passed' && passed.approvers.map((approval) => approval.userId).sort()).toEqual(['D-DAVE', 'U-BOB']);
  expect(await log.waitFor((event) => event.type === 'finished')).toMatchObject({ outcome: 'succeeded' });
  expect(existsSync(join(dir, 'switched'))).toBe(true);
  const audit = await engine.audit.get(id);
  expect(audit?.approvals.map((approval) => [approval.userId, approval.counted])).toEqual([
    ['U-MALLORY', false], ['U-ALICE', false], ['U-BOB', false], ['U-BOB', true], ['U-BOB', true], ['D-DAVE', true],
  ]);
  expect(audit?.gates).toEqual([expect.objectContaining({ gateId: 'switch-traffic', status: 'passed' })]);
  log.stop();
});

test('a gate nobody approves expires: the job ends "expired" and the switch step never runs', async () => {
  const { engine, setPlan } = await setup({ gateTimeoutMs: 1200 });
  setPlan(makePlan([
    shStep('install', `touch ${dir}/installed`),
    shStep('switch', `touch ${dir}/switched`, { kind: 'switch' }),
  ], { gates: [{ id: 'go', title: 'Switch traffic', reason: 'switch-traffic', beforeStep: 'switch' }] }));
  const result = await engine.submit(upgradeCommand(), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(engine, result.upgradeId);
  const finished = await log.waitFor((event) => event.type === 'finished');
  expect(finished).toMatchObject({ outcome: 'expired', summary: expect.stringContaining('traffic was left where it was') });
  expect(summary(log.events)).toEqual(['plan', 'step-started:install', 'step-finished:install', 'gate-waiting', 'gate-expired', 'finished']);
  expect(existsSync(join(dir, 'switched'))).toBe(false);
  expect(await engine.decide(result.upgradeId, { ...bob, decision: 'approve' })).toMatchObject({ counted: false });
  expect((await engine.audit.get(result.upgradeId))?.outcome).toBe('expired');
  log.stop();
});

test('a rejection cancels the upgrade at the gate', async () => {
  const { engine, setPlan } = await setup();
  setPlan(makePlan([shStep('switch', `touch ${dir}/switched`, { kind: 'switch' })], { gates: [{ id: 'go', title: 'Go?', reason: 'confirm', beforeStep: 'switch' }] }));
  const result = await engine.submit(upgradeCommand(), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(engine, result.upgradeId);
  await log.waitFor((event) => event.type === 'gate-waiting');
  expect(await engine.decide(result.upgradeId, { ...carol, decision: 'reject' })).toMatchObject({ counted: true });
  expect(await log.waitFor((event) => event.type === 'finished')).toMatchObject({ outcome: 'cancelled', summary: expect.stringContaining('carol') });
  expect(existsSync(join(dir, 'switched'))).toBe(false);
  log.stop();
});

test('cancel takes effect between steps: the running step finishes, the next never starts, the lock frees', async () => {
  const { engine, setPlan } = await setup();
  setPlan(makePlan([
    shStep('slow', `sleep 0.8; touch ${dir}/slow-done`),
    shStep('next', `touch ${dir}/next`),
  ]));
  const result = await engine.submit(upgradeCommand(), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(engine, result.upgradeId);
  await log.waitFor((event) => event.type === 'step-started');
  expect(await engine.cancel(result.upgradeId, bob)).toMatchObject({ ok: true });
  expect(await log.waitFor((event) => event.type === 'finished')).toMatchObject({ outcome: 'cancelled', summary: expect.stringContaining('bob') });
  expect(existsSync(join(dir, 'slow-done'))).toBe(true);
  expect(existsSync(join(dir, 'next'))).toBe(false);
  expect(summary(log.events)).toEqual(['plan', 'step-started:slow', 'log', 'step-finished:slow', 'finished']);
  expect((await engine.submit(upgradeCommand(), bob)).ok).toBe(true);
  expect(await engine.cancel(result.upgradeId, bob)).toMatchObject({ ok: false });
  log.stop();
});

test('a job parked at a gate can be cancelled', async () => {
  const { engine, setPlan } = await setup();
  setPlan(makePlan([shStep('switch', `touch ${dir}/switched`)], { gates: [{ id: 'go', title: 'Go?', reason: 'confirm', beforeStep: 'switch' }] }));
  const result = await engine.submit(upgradeCommand(), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(engine, result.upgradeId);
  await log.waitFor((event) => event.type === 'gate-waiting');
  await engine.cancel(result.upgradeId, alice);
  expect(await log.waitFor((event) => event.type === 'finished', 3000)).toMatchObject({ outcome: 'cancelled' });
  expect(existsSync(join(dir, 'switched'))).toBe(false);
  log.stop();
});

test('transient SSH connection failures are retried with backoff and the upgrade completes', async () => {
  const { engine, setPlan } = await setup({ failConnects: { 'host-a': 2 } });
  setPlan(makePlan([shStep('install', `echo x >> ${dir}/runs`)]));
  const result = await engine.submit(upgradeCommand(), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(engine, result.upgradeId);
  expect(await log.waitFor((event) => event.type === 'finished', 20_000)).toMatchObject({ outcome: 'succeeded' });
  expect(log.events.filter((event) => event.type === 'log' && event.level === 'warn')).toHaveLength(2);
  expect(await readFile(join(dir, 'runs'), 'utf8')).toBe('x\n');
  log.stop();
});

test('a dry run only plans: a plan event, no job, no lock', async () => {
  const { engine, setPlan } = await setup();
  setPlan(makePlan([shStep('install', `touch ${dir}/installed`)]));
  const result = await engine.submit(upgradeCommand('staging', true), alice);
  if (!result.ok) throw new Error(result.message);
  const log = record(engine, result.upgradeId);
  const plan = await log.waitFor((event) => event.type === 'plan');
  expect(plan).toMatchObject({ dryRun: true });
  expect(await engine.queue.getJob(result.upgradeId)).toBeUndefined();
  expect((await engine.submit(upgradeCommand(), bob)).ok).toBe(true);
  log.stop();
});
