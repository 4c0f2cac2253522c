/**
 * Real OpenClaw installed the usual way — `npm i -g openclaw@2026.9.5` into the global prefix,
 * PM2 running `openclaw gateway run …` from PATH — upgraded across the state schema change to
 * 2026.9.6 by the default runbook profile (clawops adopts the install in that upgrade's one
 * restart), then rolled back: 2026.9.5 refuses the migrated state, so the rollback restores the
 * pre-upgrade backup and 2026.9.5 serves again with the data it had. Then a release that exits on
 * start: the thread shows PM2's view and its log tail within seconds. Not-ready time is measured
 * with a 100 ms `/readyz` probe, and the same steps typed by hand run on a second host.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { configSchema, type ClawopsConfig, type HostConfig } from '../../src/config/schema.js';
import type { Engine } from '../../src/jobs/engine.js';
import type { TestHost } from '../harness/hosts.js';
import { pm2, pm2Kill } from '../harness/pm2.js';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { ensureRealCache, REAL_SCHEMA_FROM, REAL_SCHEMA_TO, startRealFleet, type RealFleet } from '../harness/real-openclaw.js';
import { APPROVALS, describeEvents, runToEnd, runUntilFinished, startRealEngine, stepIds } from './engine-run.js';
import { configureGateway, currentTarget, explained, HOME, installedReleases, must, operatorHost, runningVersion, waitReady, type OperatorHost } from './operator.js';
import { startReadyProbe, type ReadySummary } from './ready-probe.js';
import { report } from './report.js';

const PORT = 18789;
const ENV = 'production';
const STATE_DIR = `${HOME}/.openclaw`;
/** An env var of the operator's PM2 app that must survive adoption. */
const APP_ENV = { OPENCLAW_NO_AUTO_UPDATE: '1' };
let real: RealFleet;
let redis: RedisServer;
let config: ClawopsConfig;
let op: OperatorHost;
let hand: OperatorHost;
let hosts: TestHost[];
let engine: Engine;
const notReady: Record<string, ReadySummary> = {};

function pm2Of(o: OperatorHost) {
  return { ...o, target: { ...o.target, env: { ...o.target.env, ...APP_ENV } } };
}

/** What an operator typed: `npm i -g openclaw@V`, configure, `pm2 start openclaw` from PATH, a first cron job. */
async function installTheUsualWay(o: OperatorHost): Promise<void> {
  await must(o, ['npm', 'install', '-g', `openclaw@${REAL_SCHEMA_FROM}`, '--allow-scripts=openclaw'], `npm i -g openclaw@${REAL_SCHEMA_FROM}`, { timeoutMs: 600_000 });
  await configureGateway(o, STATE_DIR);
  await must(pm2Of(o), ['pm2', 'start', 'openclaw', '--name', 'openclaw', '--interpreter', 'none', '--', 'gateway', 'run', '--port', String(PORT), '--bind', 'loopback'], 'pm2 start openclaw');
  await explained(o, () => waitReady(o, PORT, 'openclaw'));
  await addCronJob(o, 'openclaw', 'written-before-the-upgrade');
}

/** State written through the running gateway: a cron job (no model needed). */
async function addCronJob(o: OperatorHost, binary: string, name: string): Promise<void> {
  await must(o, [binary, 'cron', 'add', name, '--every', '24h', '--command-argv', '["true"]', '--port', String(PORT)], `cron add ${name}`, { timeoutMs: 120_000 });
}

async function cronJobs(o: OperatorHost, binary: string): Promise<string[]> {
  const out = await must(o, [binary, 'cron', 'list', '--json', '--port', String(PORT)], 'cron list', { timeoutMs: 120_000 });
  const parsed = JSON.parse(out.stdout.slice(out.stdout.indexOf('{'))) as { jobs?: Array<{ name?: string }> };
  return (parsed.jobs ?? []).map((job) => job.name ?? '');
}

/** The PM2 app as `pm2 jlist` has it: the script it runs, its args and env. */
async function pm2App(o: OperatorHost): Promise<{ script: string; args: string[]; env: Record<string, unknown>; restarts: number; status: string }> {
  const out = await pm2(o.shell, o.target, ['jlist']);
  const list = JSON.parse(out.stdout.slice(out.stdout.indexOf('['))) as Array<{ name: string; pm2_env: Record<string, unknown> }>;
  const app = list.find((entry) => entry.name === 'openclaw');
  if (!app) throw new Error(`no PM2 app openclaw on ${o.host.name}: ${out.stdout}`);
  const env = app.pm2_env;
  return { script: String(env.pm_exec_path), args: env.args as string[], env: (env.env ?? {}) as Record<string, unknown>, restarts: Number(env.restart_time), status: String(env.status) };
}

async function probed<T>(o: OperatorHost, hostIndex: number, label: string, body: () => Promise<T>): Promise<T> {
  const probe = startReadyProbe(hosts[hostIndex]?.netns ?? '', PORT);
  try {
    return await body();
  } finally {
    notReady[label] = await probe.stop();
  }
}

beforeAll(async () => {
  const cache = await ensureRealCache();
  [real, redis] = await Promise.all([startRealFleet(2, cache, ['gw-usual', 'gw-by-hand']), startRedis()]);
  hosts = real.fleet.hosts;
  const [host, handHost] = hosts;
  if (!host || !handHost) throw new Error('no hosts');
  config = configSchema.parse({
    environments: {
      [ENV]: { hosts: [host.hostConfig({ kind: 'pm2', app: 'openclaw', port: PORT }, { env: real.hostEnv })] },
      bench: { hosts: [handHost.hostConfig({ kind: 'pm2', app: 'openclaw', port: PORT }, { env: real.hostEnv })] },
    },
    approvals: APPROVALS,
    runbook: { timeouts: { readySeconds: 300 }, watch: { minutes: 0.1, intervalSeconds: 2 } },
    redis: { url: redis.url, prefix: 'real-usual' },
  });
  op = operatorHost(real.shell, config, config.environments[ENV]?.hosts[0] as HostConfig, host.target);
  hand = operatorHost(real.shell, config, config.environments.bench?.hosts[0] as HostConfig, handHost.target);
  await installTheUsualWay(op);
  engine = await startRealEngine(config, real.shell);
}, 900_000);

afterAll(async () => {
  await engine?.close();
  for (const o of [op, hand]) if (o) await pm2Kill(real.shell, o.target).catch(() => undefined);
  await redis?.stop();
  await real?.stop();
  const lines = Object.entries(notReady).map(([what, s]) => `not ready during ${what}: ${(s.notReadyMs / 1000).toFixed(1)} s (longest ${(s.longestOutageMs / 1000).toFixed(1)} s, ${s.samples} probes at 100 ms)`);
  if (lines.length > 0) report('usual-install', {}, lines);
}, 180_000);

test(`upgrade ${REAL_SCHEMA_FROM} → ${REAL_SCHEMA_TO} of an npm -g install under PM2: adopted in the one restart, state migrated, data kept`, async () => {
  const before = await pm2App(op);
  expect(before.script).toMatch(/^\/opt\/npm\//);
  const run = await probed(op, 0, 'the clawops upgrade', () => explained(op, () => runToEnd(engine, { kind: 'upgrade', version: REAL_SCHEMA_TO, environment: ENV, dryRun: false, skipStaging: false }, 900_000)));
  const name = op.host.name;
  // The plan said, before its gate, what it changes in PM2's config.
  expect(run.plan.warnings.join('\n')).toMatch(/adopt/i);
  expect(stepIds(run.plan)).toEqual(expect.arrayContaining([`${name}:backup`, `${name}:install`, `${name}:switch`, `${name}:ready`, `${name}:health-version`]));

  expect(await runningVersion(op, PORT, STATE_DIR)).toBe(REAL_SCHEMA_TO);
  const after = await pm2App(op);
  expect(after.script.startsWith(`${HOME}/.clawops/releases/current/`)).toBe(true);
  expect(after.args).toEqual(before.args);
  expect(after.env).toMatchObject(APP_ENV);
  expect(after.status).toBe('online');
  expect(await currentTarget(op)).toBe(`${HOME}/.clawops/releases/${REAL_SCHEMA_TO}`);
  // The running version went side by side too: a rollback needs no reinstall.
  expect(await installedReleases(op)).toEqual([REAL_SCHEMA_FROM, REAL_SCHEMA_TO]);
  await must(op, ['test', '-s', `${HOME}/.pm2/dump.pm2`], 'pm2 save wrote its dump');
  expect(await cronJobs(op, `${HOME}/.clawops/releases/current/bin/openclaw`)).toContain('written-before-the-upgrade');
  report('usual-install', { 'upgrade (engine, total)': run.ms, ...run.stepMs });
}, 960_000);

test(`rollback to ${REAL_SCHEMA_FROM} restores the pre-upgrade backup (the old release refuses the migrated state) and serves the data it had`, async () => {
  const current = `${HOME}/.clawops/releases/current/bin/openclaw`;
  await addCronJob(op, current, 'written-after-the-upgrade');
  const run = await probed(op, 0, 'the clawops rollback', () => explained(op, () => runToEnd(engine, { kind: 'rollback', environment: ENV, dryRun: false }, 900_000)));
  const name = op.host.name;
  expect(run.plan.toVersion).toBe(REAL_SCHEMA_FROM);
  // Judged on a snapshot by 2026.9.5 itself, not on the live database.
  expect([...run.plan.warnings, ...run.plan.gates.map((gate) => gate.title)].join('\n')).toMatch(/restore/i);
  expect(stepIds(run.plan)).toEqual(expect.arrayContaining([`${name}:restore-extract`, `${name}:state-swap`]));
  expect(stepIds(run.plan)).not.toContain(`${name}:install`);

  expect(await runningVersion(op, PORT, STATE_DIR)).toBe(REAL_SCHEMA_FROM);
  const jobs = await cronJobs(op, current);
  expect(jobs).toContain('written-before-the-upgrade');
  // Written after the backup: not in the restored state, kept aside with the migrated state dir.
  expect(jobs).not.toContain('written-after-the-upgrade');
  await must(op, ['test', '-d', `${STATE_DIR}.rolled-back-${run.upgradeId}`], 'the migrated state dir is kept aside');
  expect((await pm2App(op)).status).toBe('online');
  report('usual-install', { 'rollback (engine, total)': run.ms, ...run.stepMs });
}, 960_000);

test('a release that exits on start fails its ready step within 10 s, and the thread shows PM2 state and the log tail', async () => {
  // Made to fail: the 2026.9.6 release, installed side by side, now exits 78 at once.
  const entry = `${HOME}/.clawops/releases/${REAL_SCHEMA_TO}/lib/node_modules/openclaw/openclaw.mjs`;
  await op.shell.writeFile(op.target, entry, "#!/usr/bin/env node\nconsole.error('Gateway failed to start: made to fail by the real suite (exit 78)');\nprocess.exit(78);\n");
  await must(op, ['chmod', '755', entry], 'chmod the made-to-fail entry');
  const run = await runUntilFinished(engine, { kind: 'upgrade', version: REAL_SCHEMA_TO, environment: ENV, dryRun: false, skipStaging: false }, 600_000);
  expect(run.outcome, describeEvents(run.events)).toBe('failed');
  const failed = run.events.find((event) => event.type === 'step-failed');
  if (failed?.type !== 'step-failed') throw new Error(`no failed step:\n${describeEvents(run.events)}`);
  expect(failed.stepId).toBe(`${op.host.name}:ready`);
  expect(failed.error).toContain('keeps exiting on start');
  expect(failed.durationMs).toBeLessThan(10_000);
  expect(failed.excerpt).toMatch(/PM2 app openclaw: .*last exit code 78/);
  expect(failed.excerpt).toContain('made to fail by the real suite');
  report('usual-install', { 'crash loop reported after': failed.durationMs });
}, 660_000);

test('the same upgrade and restore typed by hand (for the not-ready comparison)', async () => {
  await installTheUsualWay(hand);
  const backup = `${HOME}/hand-backup.tar.gz`;
  await probed(hand, 1, 'the upgrade by hand', async () => {
    await must(hand, ['openclaw', 'backup', 'create', '--output', backup, '--verify'], 'backup create', { timeoutMs: 300_000 });
    await must(hand, ['npm', 'install', '-g', `openclaw@${REAL_SCHEMA_TO}`, '--allow-scripts=openclaw'], 'npm i -g (over the running install)', { timeoutMs: 600_000 });
    await must(pm2Of(hand), ['pm2', 'restart', 'openclaw', '--update-env'], 'pm2 restart');
    await waitReady(hand, PORT, 'openclaw');
  });
  expect((await must(hand, ['openclaw', '--version'], 'openclaw --version')).stdout).toContain(REAL_SCHEMA_TO);
  await probed(hand, 1, 'the restore by hand', async () => {
    await must(hand, ['pm2', 'stop', 'openclaw'], 'pm2 stop');
    await must(hand, ['mkdir', '-p', `${HOME}/restore`], 'mkdir');
    await must(hand, ['openclaw', 'backup', 'restore', backup, '--target', `${HOME}/restore`], 'backup restore', { timeoutMs: 300_000 });
    await must(hand, ['mv', '-T', STATE_DIR, `${STATE_DIR}.aside`], 'keep the migrated state aside');
    await must(hand, ['find', `${HOME}/restore`, '-mindepth', '1', '-type', 'd', '-path', '*/payload/posix/root/.openclaw', '-prune', '-exec', 'mv', '-T', '{}', STATE_DIR, ';'], 'move the restored state in');
    await must(hand, ['npm', 'install', '-g', `openclaw@${REAL_SCHEMA_FROM}`, '--allow-scripts=openclaw'], 'npm i -g the old version', { timeoutMs: 600_000 });
    await must(pm2Of(hand), ['pm2', 'start', 'openclaw'], 'pm2 start');
    await waitReady(hand, PORT, 'openclaw');
  });
  expect(await cronJobs(hand, 'openclaw')).toContain('written-before-the-upgrade');
  const clawops = notReady['the clawops rollback'];
  const byHand = notReady['the restore by hand'];
  if (clawops && byHand) expect(clawops.notReadyMs).toBeLessThan(byHand.notReadyMs);
}, 1_200_000);
