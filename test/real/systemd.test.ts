/**
 * Real OpenClaw under a booted systemd 252 (test/harness/systemd-host.ts): the operator's
 * `openclaw.service` (no ExecReload, Restart=always) runs `<releasesDir>/current/bin/openclaw`
 * 2026.9.1; the default profile upgrades it to 2026.9.2 through the real engine and planner
 * (daemon-reload, the restart mark, `systemctl restart`), then rolls back by switching.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { configSchema, type ClawopsConfig, type HostConfig } from '../../src/config/schema.js';
import type { Engine } from '../../src/jobs/engine.js';
import { createSshShell } from '../../src/remote/ssh-shell.js';
import { ensureRealCache, REAL_FROM, REAL_TO } from '../harness/real-openclaw.js';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { openclawUnit, PORT, UNIT } from '../harness/systemd-fleet.js';
import { startSystemdHosts, type SystemdFleet, type SystemdHost } from '../harness/systemd-host.js';
import { APPROVALS, runToEnd, startRealEngine, stepIds } from './engine-run.js';
import { configureGateway, currentTarget, hostJson, installRelease, linkCurrent, operatorHost, runningVersion, type OperatorHost } from './operator.js';
import { startReadyProbe } from './ready-probe.js';
import { report } from './report.js';

const ENV = 'production';
const shell = createSshShell();
let fleet: SystemdFleet;
let host: SystemdHost;
let redis: RedisServer;
let config: ClawopsConfig;
let op: OperatorHost;
let engine: Engine;

/** `/readyz` answering `{"ready":true}`, polled from the host; on timeout the unit's journal says why. */
async function waitReady(timeoutMs = 300_000): Promise<number> {
  const started = Date.now();
  while ((await hostJson(op, `http://127.0.0.1:${PORT}/readyz`))?.ready !== true) {
    if (Date.now() - started > timeoutMs) throw new Error(`not ready after ${timeoutMs} ms:\n${(await host.nsExec(['journalctl', '-u', UNIT, '-n', '30', '--no-pager'])).stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return Date.now() - started;
}

beforeAll(async () => {
  const cache = await ensureRealCache();
  // The cache is seen at /run/clawops-real inside the host; npm installs offline from it.
  [fleet, redis] = await Promise.all([startSystemdHosts(['gw-systemd'], {
    npmrc: ['cache=/run/clawops-real/npm', 'offline=true', 'audit=false', 'fund=false', 'update-notifier=false'], binds: { 'clawops-real': cache.root },
  }), startRedis()]);
  host = fleet.hosts[0] as SystemdHost;
  const path = [`/run/clawops-real${cache.nodeBinDir.slice(cache.root.length)}`, '/opt/npm/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');
  config = configSchema.parse({
    environments: { [ENV]: { hosts: [host.hostConfig({ kind: 'systemd', port: PORT }, { env: { PATH: path } })] } },
    approvals: APPROVALS,
    runbook: { timeouts: { readySeconds: 300 }, watch: { minutes: 0.1, intervalSeconds: 2 } },
    redis: { url: redis.url, prefix: 'real-systemd' },
  });
  op = operatorHost(shell, config, config.environments[ENV]?.hosts[0] as HostConfig, host.target);
  const installMs = await installRelease(op, REAL_FROM);
  await linkCurrent(op, REAL_FROM);
  await configureGateway(op, op.host.stateDir);
  await host.writeUnit(UNIT, openclawUnit('/root/.clawops/releases/current/bin/openclaw', false, { HOME: '/root', OPENCLAW_STATE_DIR: '/root/.openclaw', PATH: path }));
  await host.systemctl(['start', UNIT]);
  report('systemd', { 'operator install (offline from cache)': installMs, 'first start until ready': await waitReady() });
  engine = await startRealEngine(config, shell);
}, 600_000);

afterAll(async () => {
  await engine?.close();
  await redis?.stop();
  await shell.close();
  await fleet?.stop();
}, 120_000);

test('upgrade 2026.9.1 → 2026.9.2: daemon-reload, restart (no ExecReload), the unit runs 2026.9.2', async () => {
  const before = await host.systemctl(['show', UNIT, '-p', 'MainPID,InvocationID']);
  const probe = startReadyProbe(host.netns, PORT);
  const run = await runToEnd(engine, { kind: 'upgrade', version: REAL_TO, environment: ENV, dryRun: false, skipStaging: false }, 600_000);
  const seen = await probe.stop();
  const name = op.host.name;
  expect(stepIds(run.plan)).toEqual(expect.arrayContaining([`${name}:install`, `${name}:switch`, `${name}:daemon-reload`, `${name}:restart-mark`, `${name}:restart`, `${name}:ready`]));
  expect(await hostJson(op, `http://127.0.0.1:${PORT}/readyz`)).toMatchObject({ ready: true });
  expect(await runningVersion(op, PORT, op.host.stateDir)).toBe(REAL_TO);
  expect(await currentTarget(op)).toBe(`/root/.clawops/releases/${REAL_TO}`);
  expect(await host.systemctl(['show', UNIT, '-p', 'MainPID,InvocationID'])).not.toBe(before);
  report('systemd', { 'upgrade (engine, total)': run.ms, 'upgrade restart': run.stepMs[`${name}:restart`] ?? 0, 'upgrade ready': run.stepMs[`${name}:ready`] ?? 0,
    'upgrade not ready (/readyz every 100 ms)': seen.notReadyMs });
}, 660_000);

test('rollback switches back to 2026.9.1 (still installed), restarted by systemd, healthy', async () => {
  const probe = startReadyProbe(host.netns, PORT);
  const run = await runToEnd(engine, { kind: 'rollback', environment: ENV, dryRun: false }, 600_000);
  const seen = await probe.stop();
  expect(run.plan.toVersion).toBe(REAL_FROM);
  expect(stepIds(run.plan)).not.toContain(`${op.host.name}:install`);
  expect(await hostJson(op, `http://127.0.0.1:${PORT}/readyz`)).toMatchObject({ ready: true });
  expect(await runningVersion(op, PORT, op.host.stateDir)).toBe(REAL_FROM);
  report('systemd', { 'rollback (engine, total)': run.ms, 'rollback not ready (/readyz every 100 ms)': seen.notReadyMs });
}, 660_000);
