/**
 * Real OpenClaw blue-green behind nginx across the schema change: blue runs 2026.9.5 with a
 * Telegram channel (the protocol-level fake, test/fakes/telegram, fed a message every second, so
 * blue's agent has run and its database lease is live). The upgrade to 2026.9.6 hands the host
 * over (src/runbook/handoff.ts): blue's channels stop, its writes freeze, the final snapshot goes
 * into green without blue's leases, green migrates and starts with the channels, nginx moves.
 * The rollback stops green's channels and brings blue back on its kept state. Throughout, a
 * client GETs `/readyz` through nginx every 100 ms on a new connection, and the fake records
 * which gateway polled, confirmed and received each update.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { configSchema, type ClawopsConfig, type HostConfig } from '../../src/config/schema.js';
import type { Engine } from '../../src/jobs/engine.js';
import { startNginx, type HostNginx } from '../harness/nginx.js';
import { pm2Jlist, pm2Kill } from '../harness/pm2.js';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { ensureRealCache, REAL_SCHEMA_FROM, REAL_SCHEMA_TO, startRealFleet, type RealFleet } from '../harness/real-openclaw.js';
import { identifyBySocket, startFakeTelegram, type FakeTelegram } from '../fakes/telegram/index.js';
import { APPROVALS, runToEnd, startRealEngine, stepIds, type Run } from './engine-run.js';
import { absolute, explained, currentTarget, hostJson, HOME, installedReleases, installRelease, linkCurrent, must, operatorHost, runningVersion, startUnderPm2, waitReady, type OperatorHost } from './operator.js';
import { report } from './report.js';

const ENV = 'production';
const BLUE = { port: 18789, stateDir: '~/.openclaw', app: 'openclaw-blue' };
const GREEN = { port: 19789, stateDir: '~/.openclaw-green', app: 'openclaw-green' };
const TOKEN = '123456:TESTTOKEN';
let real: RealFleet;
let redis: RedisServer;
let nginx: HostNginx;
let telegram: FakeTelegram;
let config: ClawopsConfig;
let op: OperatorHost;
let engine: Engine;
let publicUrl: string;

/** Blue's config the way an operator with a Telegram bot has it (open DMs, so every message reaches the agent). */
async function configureWithTelegram(stateDir: string, apiRoot: string): Promise<void> {
  const gatewayConfig = {
    gateway: { mode: 'local' },
    logging: { file: `${HOME}/openclaw-gateway.log` },
    channels: { telegram: { enabled: true, botToken: TOKEN, apiRoot, dmPolicy: 'open', allowFrom: ['*'] } },
  };
  await op.shell.writeFile(op.target, `${absolute(stateDir)}/openclaw.json`, `${JSON.stringify(gatewayConfig, null, 2)}\n`);
  await must(op, ['chmod', '700', absolute(stateDir)], 'chmod the state dir');
}

/** Rows of one table in a color's state database, read with the host's Node (node:sqlite). */
async function stateRows(stateDir: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const script = 'const { DatabaseSync } = require("node:sqlite"); const d = new DatabaseSync(process.argv[1], { readOnly: true }); console.log(JSON.stringify(d.prepare(process.argv[2]).all()));';
  const result = await must(op, ['node', '-e', script, `${absolute(stateDir)}/state/openclaw.sqlite`, sql], `reading ${stateDir}`);
  return JSON.parse(result.stdout) as Array<Record<string, unknown>>;
}

/** Polls `check` every second until it is true; throws naming `what` after `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

beforeAll(async () => {
  const cache = await ensureRealCache();
  [real, redis] = await Promise.all([startRealFleet(1, cache, ['gw-bg']), startRedis()]);
  const host = real.fleet.hosts[0];
  if (!host) throw new Error('no host');
  nginx = await startNginx(real.shell, host.target, { servers: [`127.0.0.1:${BLUE.port}`] });
  publicUrl = `http://${host.address}:${nginx.port}`;
  telegram = await startFakeTelegram({ host: host.gatewayAddress, token: TOKEN, identify: identifyBySocket(host.netns) });
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

  // The operator's blue: 2026.9.5 side by side, configured with Telegram, under PM2 on its release binary.
  const installMs = await installRelease(op, REAL_SCHEMA_FROM);
  await linkCurrent(op, REAL_SCHEMA_FROM);
  await configureWithTelegram(BLUE.stateDir, telegram.apiRoot);
  await startUnderPm2(op, { name: BLUE.app, script: `${op.host.releasesDir}/${REAL_SCHEMA_FROM}/bin/openclaw`, port: BLUE.port, stateDir: BLUE.stateDir });
  const readyMs = await explained(op, () => waitReady(op, BLUE.port, BLUE.app));
  telegram.startFeed(1000);
  // Blue's agent has run (its database exists and blue holds its lease) before anything is upgraded.
  await until(async () => (await stateRows(BLUE.stateDir, 'select count(*) as n from agent_database_leases').catch(() => []))[0]?.n === 1, 120_000, 'blue holding its agent database lease');
  report('blue-green', { 'operator install (offline from cache)': installMs, 'blue start until ready': readyMs });
  engine = await startRealEngine(config, real.shell);
}, 600_000);

/** Waits for `promise` at most `ms` (a stuck clean-up step must not keep the others from running). */
async function within(ms: number, promise: Promise<unknown> | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise?.catch(() => undefined), new Promise((resolve) => { timer = setTimeout(resolve, ms); })]);
  clearTimeout(timer);
}

afterAll(async () => {
  telegram?.stopFeed();
  await within(30_000, engine?.close());
  if (op) await within(30_000, pm2Kill(real.shell, op.target));
  await within(10_000, telegram?.stop());
  await within(10_000, nginx?.stop());
  await within(20_000, redis?.stop());
  await real?.stop();
}, 180_000);

interface Traffic {
  ok: number;
  /** A gateway answered, not ready: 503 with its own JSON (a stopped channel, the write freeze). */
  notReady: number;
  /** No gateway answered: refused, reset, timeout, nginx's 502/504. */
  failed: string[];
}

/** GETs `/readyz` through nginx on a fresh connection every 100 ms until stopped; counts what failed. */
function pollPublic(url: string): { stop(): Promise<Traffic> } {
  let running = true;
  let ok = 0;
  let notReady = 0;
  const failed: string[] = [];
  const once = () => new Promise<void>((resolve) => {
    const req = request(`${url}/readyz`, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      res.on('end', () => {
        if (res.statusCode === 200 && body.includes('"ready":true')) ok += 1;
        else if (res.statusCode === 503 && body.includes('"ready":false')) notReady += 1;
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
  return { async stop() { running = false; await loop; return { ok, notReady, failed }; } };
}

/** Runs `body` while polling nginx; the poller stops whatever happens. */
async function polled<T>(body: () => Promise<T>): Promise<{ run: T; traffic: Traffic }> {
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

/** The last output line a step reported (the handoff's measured figures). */
function said(run: Run, stepId: string): string {
  const event = run.events.find((candidate) => candidate.type === 'step-finished' && candidate.stepId === stepId);
  const excerpt = event?.type === 'step-finished' ? event.excerpt ?? '' : '';
  return excerpt.trim().split('\n').at(-1) ?? '';
}

/** Lets the fake's feed settle: every fed update delivered to somebody (or `timeoutMs` passes). */
async function settled(): Promise<ReturnType<FakeTelegram['report']>> {
  telegram.stopFeed();
  await expect.poll(() => telegram.report().lost, { timeout: 120_000, interval: 500 }).toBe(0);
  const result = telegram.report();
  telegram.startFeed(1000);
  return result;
}

/** Who received updates, in order, each run of deliveries to one poller collapsed to one entry. */
function handovers(tg: ReturnType<FakeTelegram['report']>): string[] {
  return tg.deliveries.map((delivery) => delivery.poller).filter((poller, index, all) => index === 0 || all[index - 1] !== poller);
}

const blueName = `OPENCLAW_STATE_DIR=${absolute(BLUE.stateDir)}`;
const greenName = `OPENCLAW_STATE_DIR=${absolute(GREEN.stateDir)}`;

test('blue is real OpenClaw 2026.9.5, polls the Telegram fake and answers through nginx', async () => {
  expect(await runningVersion(op, BLUE.port, BLUE.stateDir)).toBe(REAL_SCHEMA_FROM);
  const poll = pollPublic(publicUrl);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await poll.stop()).toMatchObject({ failed: [], notReady: 0 });
  expect(telegram.report().pollers).toEqual([blueName]);
});

test('upgrade to 2026.9.6 across the schema change: green migrates a lease-free final snapshot, channels hand over with one poller at a time, no request fails', async () => {
  const before = telegram.report();
  const { run, traffic } = await polled(() => explained(op, () => runToEnd(engine, { kind: 'upgrade', version: REAL_SCHEMA_TO, environment: ENV, dryRun: false, skipStaging: false }, 900_000)));
  const name = op.host.name;
  expect(run.plan.gates.map((gate) => `${gate.id} before ${gate.beforeStep}`)).toEqual([`${name}:switch-traffic before ${name}:handoff-channels`]);
  expect(stepIds(run.plan)).toEqual(expect.arrayContaining([`${name}:handoff-freeze`, `${name}:handoff-snapshot`, `${name}:handoff-leases`, `${name}:idle-start`, `${name}:handoff-channels-up`, `${name}:nginx-reload`, `${name}:old-stop`]));
  expect(traffic.failed).toEqual([]);

  // Green runs 2026.9.6 on the migrated copy; blue's 2026.9.5 state is kept as it was.
  expect(await upstreamPorts()).toEqual([`127.0.0.1:${GREEN.port}`]);
  expect(await hostJson(op, `http://127.0.0.1:${GREEN.port}/readyz`)).toMatchObject({ ready: true });
  expect(await runningVersion(op, GREEN.port, GREEN.stateDir)).toBe(REAL_SCHEMA_TO);
  const apps = Object.fromEntries((await pm2Jlist(real.shell, op.target)).map((app) => [app.name, app.status]));
  expect(apps).toEqual({ [BLUE.app]: 'stopped', [GREEN.app]: 'online' });
  expect(await currentTarget(op)).toBe(`/root/.clawops/releases/${REAL_SCHEMA_TO}`);
  expect(await installedReleases(op)).toEqual([REAL_SCHEMA_FROM, REAL_SCHEMA_TO]);
  expect(said(run, `${name}:handoff-leases`)).toMatch(/cleared from the copy: 1 agent_database_leases row/);

  // Channels: blue then green, never both; nothing lost, nothing twice.
  const tg = await settled();
  expect(handovers(tg)).toEqual([blueName, greenName]);
  expect({ doubled: tg.doubled, conflicts: tg.conflicts, twoPollerMs: tg.twoPollerMs, lost: tg.lost }).toEqual({ doubled: 0, conflicts: 0, twoPollerMs: 0, lost: 0 });
  // Every update blue confirmed is in green's durable inbound queue (it carried blue's state over).
  const confirmedByBlue = new Set(tg.confirmations.filter((c) => c.poller === blueName).map((c) => c.updateId));
  // event_id is the update id, zero-padded ("0000000000000012").
  const greenEvents = new Set((await stateRows(GREEN.stateDir, 'select event_id from channel_ingress_events')).map((row) => Number(row.event_id)));
  const missing = [...confirmedByBlue].filter((id) => !greenEvents.has(id));
  expect(missing).toEqual([]);
  const freeze = /write freeze (\d+\.\d) s/.exec(said(run, `${name}:handoff-switched`));
  expect(freeze).not.toBeNull();
  expect(said(run, `${name}:handoff-left`)).toMatch(/: 0 inbound message\(s\), 0 file\(s\)/);
  report('blue-green', { 'upgrade (engine, total)': run.ms, ...prefixed('upgrade', run.stepMs) }, [
    `${traffic.ok} requests through nginx during the upgrade, ${traffic.failed.length} failed, ${traffic.notReady} answered not ready (blue's channels stopped / frozen)`,
    `write freeze ${freeze?.[1]} s; Telegram: ${tg.fed - before.fed} updates fed, ${tg.lost} lost, ${tg.doubled} doubled, ${tg.conflicts} conflicts, ${Math.round(tg.twoPollerMs)} ms with two pollers, ${((tg.noPollerMs - before.noPollerMs) / 1000).toFixed(1)} s with no poller`,
  ]);
}, 960_000);

test('rollback: green\'s channels stop, blue 2026.9.5 comes back on its kept state, traffic moves back, what green wrote is counted', async () => {
  const before = telegram.report();
  const { run, traffic } = await polled(() => explained(op, () => runToEnd(engine, { kind: 'rollback', environment: ENV, dryRun: false }, 600_000)));
  const name = op.host.name;
  expect(run.plan.toVersion).toBe(REAL_SCHEMA_FROM);
  expect(stepIds(run.plan)).not.toContain(`${name}:install`);
  expect(stepIds(run.plan)).not.toContain(`${name}:restore-extract`);
  expect(run.plan.warnings.join('\n')).toContain('whatever green wrote since it took over is not carried back');
  expect(traffic.failed).toEqual([]);

  expect(await upstreamPorts()).toEqual([`127.0.0.1:${BLUE.port}`]);
  expect(await hostJson(op, `http://127.0.0.1:${BLUE.port}/readyz`)).toMatchObject({ ready: true });
  expect(await runningVersion(op, BLUE.port, BLUE.stateDir)).toBe(REAL_SCHEMA_FROM);
  const apps = Object.fromEntries((await pm2Jlist(real.shell, op.target)).map((app) => [app.name, app.status]));
  expect(apps).toEqual({ [BLUE.app]: 'online', [GREEN.app]: 'stopped' });
  expect(await currentTarget(op)).toBe(`/root/.clawops/releases/${REAL_SCHEMA_FROM}`);
  const tg = await settled();
  expect(handovers(tg)).toEqual([blueName, greenName, blueName]);
  expect({ doubled: tg.doubled, conflicts: tg.conflicts, twoPollerMs: tg.twoPollerMs, lost: tg.lost }).toEqual({ doubled: 0, conflicts: 0, twoPollerMs: 0, lost: 0 });
  const left = said(run, `${name}:handoff-left`);
  expect(left).toMatch(/written since it took over: \d+ inbound message\(s\), \d+ file\(s\)/);
  report('blue-green', { 'rollback (engine, total)': run.ms, ...prefixed('rollback', run.stepMs) }, [
    `${traffic.ok} requests through nginx during the rollback, ${traffic.failed.length} failed, ${traffic.notReady} answered not ready`,
    `Telegram: ${tg.fed - before.fed} updates fed, ${tg.lost} lost, ${tg.doubled} doubled, ${Math.round(tg.twoPollerMs)} ms with two pollers, ${((tg.noPollerMs - before.noPollerMs) / 1000).toFixed(1)} s with no poller; ${left}`,
  ]);
}, 660_000);

function prefixed(prefix: string, record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [`${prefix} ${key}`, value]));
}
