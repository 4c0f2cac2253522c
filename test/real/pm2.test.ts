/**
 * Real OpenClaw under PM2 on an sshd test host: 2026.9.1 → 2026.9.2 with the default runbook
 * profile through the real engine and planner, then a rollback (switch back to the release
 * still installed side by side). Health and the running gateway's own version are checked
 * after each.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { configSchema, type ClawopsConfig, type HostConfig } from '../../src/config/schema.js';
import type { Engine } from '../../src/jobs/engine.js';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { ensureRealCache, REAL_FROM, REAL_TO, startRealFleet, type RealFleet } from '../harness/real-openclaw.js';
import { pm2Jlist, pm2Kill } from '../harness/pm2.js';
import { APPROVALS, runToEnd, startRealEngine, stepIds } from './engine-run.js';
import { configureGateway, explained, currentTarget, hostJson, installedReleases, installRelease, linkCurrent, must, operatorHost, runningVersion, startUnderPm2, waitReady, type OperatorHost } from './operator.js';
import { report } from './report.js';

const PORT = 18789;
const ENV = 'production';
let real: RealFleet;
let redis: RedisServer;
let config: ClawopsConfig;
let op: OperatorHost;
let engine: Engine;

beforeAll(async () => {
  const cache = await ensureRealCache();
  [real, redis] = await Promise.all([startRealFleet(1, cache, ['gw-pm2']), startRedis()]);
  const host = real.fleet.hosts[0];
  if (!host) throw new Error('no host');
  config = configSchema.parse({
    environments: { [ENV]: { hosts: [host.hostConfig({ kind: 'pm2', port: PORT }, { env: real.hostEnv })] } },
    approvals: APPROVALS,
    runbook: { timeouts: { readySeconds: 300 }, watch: { minutes: 0.1, intervalSeconds: 2 } },
    redis: { url: redis.url, prefix: 'real-pm2' },
  });
  op = operatorHost(real.shell, config, config.environments[ENV]?.hosts[0] as HostConfig, host.target);

  // The operator's install: 2026.9.1 side by side, `current` on it, configured, under PM2.
  const installMs = await installRelease(op, REAL_FROM);
  await linkCurrent(op, REAL_FROM);
  await configureGateway(op, op.host.stateDir);
  await startUnderPm2(op, { name: 'openclaw', script: `${op.host.releasesDir}/current/bin/openclaw`, port: PORT, stateDir: op.host.stateDir });
  const readyMs = await explained(op, () => waitReady(op, PORT, 'openclaw'));
  report('pm2', { 'operator install (offline from cache)': installMs, 'first start until ready': readyMs });
  engine = await startRealEngine(config, real.shell);
}, 600_000);

afterAll(async () => {
  await engine?.close();
  if (op) await pm2Kill(real.shell, op.target).catch(() => undefined);
  await redis?.stop();
  await real?.stop();
}, 120_000);

test('the gateway the operator started is real OpenClaw 2026.9.1, live and ready', async () => {
  expect(await hostJson(op, `http://127.0.0.1:${PORT}/healthz`)).toMatchObject({ ok: true, status: 'live' });
  expect(await hostJson(op, `http://127.0.0.1:${PORT}/readyz`)).toMatchObject({ ready: true, failing: [] });
  expect(await runningVersion(op, PORT, op.host.stateDir)).toBe(REAL_FROM);
});

test('upgrade 2026.9.1 → 2026.9.2 with the default profile: backup, side-by-side install, switch, reload, healthy on 2026.9.2', async () => {
  const run = await explained(op, () => runToEnd(engine, { kind: 'upgrade', version: REAL_TO, environment: ENV, dryRun: false, skipStaging: false }, 600_000));
  const name = op.host.name;
  expect(stepIds(run.plan)).toEqual(expect.arrayContaining([`${name}:backup`, `${name}:backup-verify`, `${name}:install`, `${name}:switch`, `${name}:reload`, `${name}:ready`, `${name}:health-version`]));
  expect(run.plan.fromVersions).toEqual({ [name]: REAL_FROM });
  // The planner read 2026.9.2's real CHANGELOG.md through the host's npm (view + pack): it lists Doctor migrations.
  expect(run.plan.changelog?.migrations.some((entry) => entry.startsWith(`${REAL_TO}: **Doctor upgrade settings:**`))).toBe(true);

  expect(await hostJson(op, `http://127.0.0.1:${PORT}/healthz`)).toMatchObject({ ok: true, status: 'live' });
  expect(await hostJson(op, `http://127.0.0.1:${PORT}/readyz`)).toMatchObject({ ready: true });
  // The process PM2 runs now, not just the files on disk, is the new release.
  expect(await runningVersion(op, PORT, op.host.stateDir)).toBe(REAL_TO);
  expect(await currentTarget(op)).toBe(`/root/.clawops/releases/${REAL_TO}`);
  expect(await installedReleases(op)).toEqual([REAL_FROM, REAL_TO]);
  await must(op, ['test', '-s', `${op.host.backupDir}/openclaw-pre-upgrade-${run.upgradeId}-${name}.tar.gz`], 'the pre-upgrade backup exists');
  const [app] = (await pm2Jlist(real.shell, op.target)).filter((entry) => entry.name === 'openclaw');
  expect(app).toMatchObject({ status: 'online', execMode: 'fork_mode' });
  report('pm2', { 'upgrade (engine, total)': run.ms, ...prefixed('upgrade', run.stepMs) }, [`PM2 restarts of the app after the upgrade: ${app?.restarts ?? '?'}`]);
}, 660_000);

test('rollback switches back to 2026.9.1, still installed side by side (no reinstall), healthy', async () => {
  const run = await explained(op, () => runToEnd(engine, { kind: 'rollback', environment: ENV, dryRun: false }, 600_000));
  const name = op.host.name;
  expect(run.plan.gates.map((gate) => gate.reason)).toEqual(['rollback']);
  expect(stepIds(run.plan)).not.toContain(`${name}:install`);
  expect(run.plan.toVersion).toBe(REAL_FROM);

  expect(await hostJson(op, `http://127.0.0.1:${PORT}/healthz`)).toMatchObject({ ok: true, status: 'live' });
  expect(await hostJson(op, `http://127.0.0.1:${PORT}/readyz`)).toMatchObject({ ready: true });
  expect(await runningVersion(op, PORT, op.host.stateDir)).toBe(REAL_FROM);
  expect(await currentTarget(op)).toBe(`/root/.clawops/releases/${REAL_FROM}`);
  expect(await installedReleases(op)).toEqual([REAL_FROM, REAL_TO]);
  report('pm2', { 'rollback (engine, total)': run.ms, ...prefixed('rollback', run.stepMs) });
}, 660_000);

function prefixed(prefix: string, record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [`${prefix} ${key}`, value]));
}
