/**
 * Real OpenClaw blue-green behind nginx on an sshd test host: blue runs 2026.9.1; the upgrade
 * installs 2026.9.2 side by side, restores blue's backup into green's state dir, starts green
 * under PM2, moves nginx's upstream after the switch-traffic gate and stops blue; the rollback
 * starts blue again on its kept state and moves traffic back. A client polls nginx from the
 * root namespace throughout, each request on a new connection: none may fail.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { configSchema, type ClawopsConfig, type HostConfig } from '../../src/config/schema.js';
import type { Engine } from '../../src/jobs/engine.js';
import { startNginx, type HostNginx } from '../harness/nginx.js';
import { pm2Jlist, pm2Kill } from '../harness/pm2.js';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { ensureRealCache, REAL_FROM, REAL_TO, startRealFleet, type RealFleet } from '../harness/real-openclaw.js';
import { APPROVALS, runToEnd, startRealEngine, stepIds } from './engine-run.js';
import { absolute, configureGateway, explained, currentTarget, hostJson, installedReleases, installRelease, linkCurrent, must, operatorHost, runningVersion, startUnderPm2, waitReady, type OperatorHost } from './operator.js';
import { report } from './report.js';

const ENV = 'production';
const BLUE = { port: 18789, stateDir: '~/.openclaw', app: 'openclaw-blue' };
const GREEN = { port: 19789, stateDir: '~/.openclaw-green', app: 'openclaw-green' };
let real: RealFleet;
let redis: RedisServer;
let nginx: HostNginx;
let config: ClawopsConfig;
let op: OperatorHost;
let engine: Engine;
let publicUrl: string;

beforeAll(async () => {
  const cache = await ensureRealCache();
  [real, redis] = await Promise.all([startRealFleet(1, cache, ['gw-bg']), startRedis()]);
  const host = real.fleet.hosts[0];
  if (!host) throw new Error('no host');
  nginx = await startNginx(real.shell, host.target, { servers: [`127.0.0.1:${BLUE.port}`] });
  publicUrl = `http://${host.address}:${nginx.port}`;
  config = configSchema.parse({
    environments: {
      [ENV]: {
        hosts: [host.hostConfig({
          kind: 'blue-green', blue: BLUE, green: GREEN, publicUrl,
          nginx: { upstreamFile: nginx.upstreamFile, test: nginx.testArgv, reload: nginx.reloadArgv },
        }, { env: real.hostEnv })],
      },
    },
    approvals: APPROVALS,
    runbook: { timeouts: { readySeconds: 300 }, watch: { minutes: 0.1, intervalSeconds: 2 } },
    redis: { url: redis.url, prefix: 'real-bg' },
  });
  op = operatorHost(real.shell, config, config.environments[ENV]?.hosts[0] as HostConfig, host.target);

  // The operator's blue: 2026.9.1 side by side, configured, under PM2 on its release binary.
  const installMs = await installRelease(op, REAL_FROM);
  await linkCurrent(op, REAL_FROM);
  await configureGateway(op, BLUE.stateDir);
  await startUnderPm2(op, { name: BLUE.app, script: `${op.host.releasesDir}/${REAL_FROM}/bin/openclaw`, port: BLUE.port, stateDir: BLUE.stateDir });
  const readyMs = await explained(op, () => waitReady(op, BLUE.port, BLUE.app));
  report('blue-green', { 'operator install (offline from cache)': installMs, 'blue start until ready': readyMs });
  engine = await startRealEngine(config, real.shell);
}, 600_000);

afterAll(async () => {
  await engine?.close();
  if (op) await pm2Kill(real.shell, op.target).catch(() => undefined);
  await nginx?.stop().catch(() => undefined);
  await redis?.stop();
  await real?.stop();
}, 120_000);

/** GETs `/readyz` through nginx on a fresh connection every 100 ms until stopped; counts what failed. */
function pollPublic(url: string): { stop(): Promise<{ ok: number; failed: string[] }> } {
  let running = true;
  let ok = 0;
  const failed: string[] = [];
  const once = () => new Promise<void>((resolve) => {
    const req = request(`${url}/readyz`, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      res.on('end', () => {
        if (res.statusCode === 200 && body.includes('"ready":true')) ok += 1;
        else failed.push(`${new Date().toISOString()} HTTP ${res.statusCode}: ${body.slice(0, 120)}`);
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => { failed.push(`${new Date().toISOString()} ${error.message}`); resolve(); });
    req.end();
  });
  const loop = (async () => {
    while (running) {
      await once();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return { async stop() { running = false; await loop; return { ok, failed }; } };
}

/** Runs `body` while polling nginx; the poller stops whatever happens. */
async function polled<T>(body: () => Promise<T>): Promise<{ run: T; traffic: { ok: number; failed: string[] } }> {
  const poll = pollPublic(publicUrl);
  try {
    const run = await body();
    return { run, traffic: await poll.stop() };
  } catch (error) {
    await poll.stop();
    throw error;
  }
}

async function upstreamPorts(): Promise<string[]> {
  return nginx.readUpstream();
}

test('blue is real OpenClaw 2026.9.1 and answers through nginx', async () => {
  expect(await hostJson(op, `http://127.0.0.1:${BLUE.port}/healthz`)).toMatchObject({ ok: true, status: 'live' });
  expect(await runningVersion(op, BLUE.port, BLUE.stateDir)).toBe(REAL_FROM);
  const poll = pollPublic(publicUrl);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await poll.stop()).toMatchObject({ failed: [] });
});

test('upgrade to 2026.9.2: green starts on a restored copy of blue\'s state, traffic moves with no failed request, blue is stopped and kept', async () => {
  const { run, traffic } = await polled(() => explained(op, () => runToEnd(engine, { kind: 'upgrade', version: REAL_TO, environment: ENV, dryRun: false, skipStaging: false }, 600_000)));
  const name = op.host.name;
  expect(run.plan.gates.map((gate) => gate.id)).toEqual([`${name}:switch-traffic`]);
  expect(stepIds(run.plan)).toEqual(expect.arrayContaining([`${name}:backup`, `${name}:install`, `${name}:restore-extract`, `${name}:state-swap`, `${name}:idle-start`, `${name}:nginx-reload`, `${name}:old-stop`]));
  expect(traffic.failed).toEqual([]);
  expect(traffic.ok).toBeGreaterThan(50);

  expect(await upstreamPorts()).toEqual([`127.0.0.1:${GREEN.port}`]);
  expect(await hostJson(op, `http://127.0.0.1:${GREEN.port}/healthz`)).toMatchObject({ ok: true, status: 'live' });
  expect(await hostJson(op, `http://127.0.0.1:${GREEN.port}/readyz`)).toMatchObject({ ready: true });
  expect(await runningVersion(op, GREEN.port, GREEN.stateDir)).toBe(REAL_TO);
  // Green runs on blue's restored config (without it `gateway run` refuses: "Missing config").
  const greenConfig = await must(op, ['cat', `${absolute(GREEN.stateDir)}/openclaw.json`], 'reading green\'s config');
  expect(JSON.parse(greenConfig.stdout)).toMatchObject({ gateway: { mode: 'local' } });
  await must(op, ['test', '-f', `${absolute(BLUE.stateDir)}/openclaw.json`], 'blue\'s state dir is kept');
  const apps = Object.fromEntries((await pm2Jlist(real.shell, op.target)).map((app) => [app.name, app.status]));
  expect(apps).toEqual({ [BLUE.app]: 'stopped', [GREEN.app]: 'online' });
  expect(await currentTarget(op)).toBe(`/root/.clawops/releases/${REAL_TO}`);
  expect(await installedReleases(op)).toEqual([REAL_FROM, REAL_TO]);
  report('blue-green', { 'upgrade (engine, total)': run.ms, ...prefixed('upgrade', run.stepMs) }, [`${traffic.ok} requests through nginx during the upgrade, ${traffic.failed.length} failed`]);
}, 660_000);

test('rollback: blue 2026.9.1 starts again on its kept state, traffic moves back with no failed request', async () => {
  const { run, traffic } = await polled(() => explained(op, () => runToEnd(engine, { kind: 'rollback', environment: ENV, dryRun: false }, 600_000)));
  const name = op.host.name;
  expect(run.plan.toVersion).toBe(REAL_FROM);
  expect(stepIds(run.plan)).not.toContain(`${name}:install`);
  expect(stepIds(run.plan)).not.toContain(`${name}:restore-extract`);
  expect(traffic.failed).toEqual([]);

  expect(await upstreamPorts()).toEqual([`127.0.0.1:${BLUE.port}`]);
  expect(await hostJson(op, `http://127.0.0.1:${BLUE.port}/readyz`)).toMatchObject({ ready: true });
  expect(await runningVersion(op, BLUE.port, BLUE.stateDir)).toBe(REAL_FROM);
  const apps = Object.fromEntries((await pm2Jlist(real.shell, op.target)).map((app) => [app.name, app.status]));
  expect(apps).toEqual({ [BLUE.app]: 'online', [GREEN.app]: 'stopped' });
  expect(await currentTarget(op)).toBe(`/root/.clawops/releases/${REAL_FROM}`);
  report('blue-green', { 'rollback (engine, total)': run.ms, ...prefixed('rollback', run.stepMs) }, [`${traffic.ok} requests through nginx during the rollback, ${traffic.failed.length} failed`]);
}, 660_000);

function prefixed(prefix: string, record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [`${prefix} ${key}`, value]));
}
