/**
 * Downtime on the REAL `openclaw` package across the schema change 2026.9.5 → 2026.9.6, two ways,
 * one after the other, each on its own sshd test host (test/harness/real-openclaw.ts: offline
 * installs from the warmed cache) with nginx on :80 in front of the gateway and a Telegram channel
 * pointed at the protocol-level fake (test/fakes/telegram), fed an inbound message every second:
 *
 * - blue-green handoff (clawops): blue 2026.9.5 under PM2 holds its agent database lease; the
 *   engine (real planner, BullMQ on a private Redis) upgrades to 2026.9.6, every gate approved as
 *   a second person as soon as it waits (test/real/engine-run.ts runToEnd);
 * - pm2 restart (by hand): the same kind of host, 2026.9.6 installed side by side beforehand, then
 *   `ln -sfn <releases>/2026.9.6 current && pm2 restart openclaw`, measured until
 *   `/readyz` answers ready through nginx again.
 *
 * Load: from the root namespace, a GET of `/readyz` through the host's nginx on a new connection
 * every 50 ms. 200 = ready; 503 with `"ready":false` = answered not ready (a gateway answered:
 * channels stopped, write freeze, still starting); anything else (refused, reset, timeout,
 * nginx's 502/504) = failed. After each change the feed stops and the bench waits until the fake
 * has delivered every update to somebody (or 120 s) before reading its figures.
 *
 *   npm run bench:downtime -- --real
 */
import { request } from 'node:http';
import { configSchema, type ClawopsConfig, type HostConfig } from '../src/config/schema.js';
import type { Engine } from '../src/jobs/engine.js';
import { identifyBySocket, startFakeTelegram, type FakeTelegram, type TelegramReport } from '../test/fakes/telegram/index.js';
import type { TestHost } from '../test/harness/hosts.js';
import { startNginx, type HostNginx } from '../test/harness/nginx.js';
import { pm2, pm2Kill } from '../test/harness/pm2.js';
import { ensureRealCache, REAL_SCHEMA_FROM, REAL_SCHEMA_TO, startRealFleet, type RealFleet } from '../test/harness/real-openclaw.js';
import { startRedis, type RedisServer } from '../test/harness/redis.js';
import { APPROVALS, describeEvents, runUntilFinished, startRealEngine, type Run } from '../test/real/engine-run.js';
import { absolute, explained, HOME, installRelease, linkCurrent, must, operatorHost, runningVersion, startUnderPm2, waitReady, type OperatorHost } from '../test/real/operator.js';

const ENV = 'production';
const TOKEN = '123456:TESTTOKEN';
const BLUE = { port: 18789, stateDir: '~/.openclaw', app: 'openclaw-blue' };
const GREEN = { port: 19789, stateDir: '~/.openclaw-green', app: 'openclaw-green' };
const RESTART = { port: 18789, stateDir: '~/.openclaw', app: 'openclaw' };
const LOAD_PERIOD_MS = 50;
const FEED_MS = 1000;
/** Load before and after the change, so the table sees the steady state on both sides. */
const MARGIN_MS = 2000;
const FREEZE_GOAL_S = 2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- load through nginx

type Outcome = 'ready' | 'not-ready' | 'failed';

interface Sample {
  /** performance.now() when the request was sent. */
  at: number;
  outcome: Outcome;
  detail: string;
}

interface Load {
  samples: Sample[];
  /** Resolves at the first ready answer to a request sent at or after `since` (performance.now()). */
  readyAfter(since: number, timeoutMs: number): Promise<number>;
  stop(): Promise<Sample[]>;
}

function getOnce(url: string): Promise<Sample> {
  const at = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: Outcome, detail: string) => {
      if (done) return;
      done = true;
      resolve({ at, outcome, detail });
    };
    const req = request(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('error', (error) => finish('failed', error.message));
      res.on('end', () => {
        if (res.statusCode === 200) finish('ready', '200');
        else if (res.statusCode === 503 && /"ready"\s*:\s*false/.test(body)) finish('not-ready', `503 ${body.slice(0, 160)}`);
        else finish('failed', `HTTP ${res.statusCode}: ${body.replace(/\s+/g, ' ').slice(0, 120)}`);
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout after 5 s')));
    req.on('error', (error) => finish('failed', error.message));
    req.end();
  });
}

/** GETs `url` on a new connection every LOAD_PERIOD_MS (one request at a time) until stopped. */
function startLoad(url: string): Load {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    let next = performance.now();
    while (running) {
      samples.push(await getOnce(url));
      next += LOAD_PERIOD_MS;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else next = performance.now();
    }
  })();
  return {
    samples,
    async readyAfter(since, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const hit = samples.find((sample) => sample.at >= since && sample.outcome === 'ready');
        if (hit) return hit.at;
        if (performance.now() > deadline) throw new Error(`not ready through nginx within ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** The longest stretch from a sample that was not ready to the next ready one (ms). */
function longestNotReady(samples: readonly Sample[]): number {
  let longest = 0;
  let start: number | undefined;
  for (const sample of samples) {
    if (sample.outcome !== 'ready') start ??= sample.at;
    else if (start !== undefined) {
      longest = Math.max(longest, sample.at - start);
      start = undefined;
    }
  }
  const last = samples.at(-1);
  if (start !== undefined && last) longest = Math.max(longest, last.at - start);
  return longest;
}

// ---------------------------------------------------------------- one host with a gateway

/** A host as the operator set it up: nginx in front, a Telegram fake for its channel. */
interface Site {
  host: TestHost;
  op: OperatorHost;
  nginx: HostNginx;
  telegram: FakeTelegram;
  publicUrl: string;
  config: ClawopsConfig;
}

async function startSite(real: RealFleet, host: TestHost, strategy: 'blue-green' | 'pm2', redisUrl: string, prefix: string, cleanup: Array<() => Promise<unknown>>): Promise<Site> {
  const nginx = await startNginx(real.shell, host.target, { servers: [`127.0.0.1:${BLUE.port}`] });
  cleanup.push(() => nginx.stop());
  const telegram = await startFakeTelegram({ host: host.gatewayAddress, token: TOKEN, identify: identifyBySocket(host.netns) });
  cleanup.push(() => telegram.stop());
  const publicUrl = `http://${host.address}:${nginx.port}`;
  const strategyConfig = strategy === 'blue-green'
    ? { kind: 'blue-green' as const, blue: BLUE, green: GREEN, publicUrl, nginx: { upstreamFile: nginx.upstreamFile, test: nginx.testArgv, reload: nginx.reloadArgv } }
    : { kind: 'pm2' as const, app: RESTART.app, port: RESTART.port };
  const config = configSchema.parse({
    environments: { [ENV]: { hosts: [host.hostConfig(strategyConfig, { env: real.hostEnv })] } },
    approvals: APPROVALS,
    runbook: { timeouts: { readySeconds: 300 }, watch: { minutes: 0.1, intervalSeconds: 2 } },
    redis: { url: redisUrl, prefix },
  });
  const op = operatorHost(real.shell, config, config.environments[ENV]?.hosts[0] as HostConfig, host.target);
  // PM2 first among the host's clean-ups (they run in reverse): it goes before nginx and the fake.
  cleanup.push(() => pm2Kill(real.shell, op.target));
  return { host, op, nginx, telegram, publicUrl, config };
}

/** The gateway's config the way an operator with a Telegram bot has it (open DMs: every message reaches the agent). */
async function configureWithTelegram(site: Site, stateDir: string): Promise<void> {
  const gatewayConfig = {
    gateway: { mode: 'local' },
    logging: { file: `${HOME}/openclaw-gateway.log` },
    channels: { telegram: { enabled: true, botToken: TOKEN, apiRoot: site.telegram.apiRoot, dmPolicy: 'open', allowFrom: ['*'] } },
  };
  await site.op.shell.writeFile(site.op.target, `${absolute(stateDir)}/openclaw.json`, `${JSON.stringify(gatewayConfig, null, 2)}\n`);
  await must(site.op, ['chmod', '700', absolute(stateDir)], 'chmod the state dir');
}

/** Rows of a query on a gateway's state database, read with the host's Node (node:sqlite). */
async function stateRows(op: OperatorHost, stateDir: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const script = 'const { DatabaseSync } = require("node:sqlite"); const d = new DatabaseSync(process.argv[1], { readOnly: true }); console.log(JSON.stringify(d.prepare(process.argv[2]).all()));';
  const result = await op.shell.run(op.target, ['node', '-e', script, `${absolute(stateDir)}/state/openclaw.sqlite`, sql], { timeoutMs: 30_000 });
  if (result.exitCode !== 0) return [];
  try {
    return JSON.parse(result.stdout) as Array<Record<string, unknown>>;
  } catch {
    return [];
  }
}

/** Waits until the gateway's agent has run and holds its database lease (the hard case for a copy). */
async function waitForLease(op: OperatorHost, stateDir: string, timeoutMs = 180_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const rows = await stateRows(op, stateDir, 'select count(*) as n from agent_database_leases');
    if (rows[0]?.n === 1) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${op.host.name}: no agent database lease in ${stateDir} after ${timeoutMs} ms (last: ${JSON.stringify(rows)})`);
    await sleep(1000);
  }
}

/** 2026.9.5 installed side by side (and `extra` releases), `current` on it, configured with Telegram, under PM2, ready, fed, holding its lease. */
async function bringUp(site: Site, app: { name: string; port: number; stateDir: string; script: string }, extra: readonly string[]): Promise<Record<string, number>> {
  const { op } = site;
  const timings: Record<string, number> = {};
  timings[`install ${REAL_SCHEMA_FROM}`] = await installRelease(op, REAL_SCHEMA_FROM);
  for (const version of extra) timings[`install ${version}`] = await installRelease(op, version);
  await linkCurrent(op, REAL_SCHEMA_FROM);
  await configureWithTelegram(site, app.stateDir);
  await startUnderPm2(op, { name: app.name, script: app.script, port: app.port, stateDir: app.stateDir });
  timings['start until ready'] = await explained(op, () => waitReady(op, app.port, app.name));
  site.telegram.startFeed(FEED_MS);
  timings['until the agent database lease is held'] = await waitForLease(op, app.stateDir);
  return timings;
}

// ---------------------------------------------------------------- measuring one change

interface Row {
  label: string;
  failed: number;
  notReady: number;
  lost: number;
  doubled: number;
  twoPollerS: number;
  noPollerS: number;
  /** Seconds; undefined when not measured (the run failed before the switch). */
  freezeS: number | undefined;
  /** The freeze column shows the restart's outage instead of a freeze. */
  freezeIsOutage: boolean;
  wallS: number;
  notes: string[];
  error?: string;
}

/** Stops the feed and waits until every fed update reached somebody (or `timeoutMs`). */
async function settle(telegram: FakeTelegram, timeoutMs = 120_000): Promise<{ report: TelegramReport; settleMs: number }> {
  telegram.stopFeed();
  const started = Date.now();
  while (telegram.report().lost > 0 && Date.now() - started < timeoutMs) await sleep(500);
  return { report: telegram.report(), settleMs: Date.now() - started };
}

interface Measured<T> {
  result: T | undefined;
  error: string | undefined;
  samples: Sample[];
  actAt: number;
  actMs: number;
  before: TelegramReport;
  after: TelegramReport;
  settleMs: number;
}

/** Load + feed around `act`; `act` returns when the change is complete (ready again). */
async function measure<T>(site: Site, act: (load: Load) => Promise<T>): Promise<Measured<T>> {
  const before = site.telegram.report();
  const load = startLoad(`${site.publicUrl}/readyz`);
  let result: T | undefined;
  let error: string | undefined;
  let actAt: number;
  let actMs: number;
  try {
    await sleep(MARGIN_MS);
    actAt = performance.now();
    try {
      result = await act(load);
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
    actMs = performance.now() - actAt;
    await sleep(MARGIN_MS);
  } finally {
    await load.stop();
  }
  const { report: after, settleMs } = await settle(site.telegram);
  return { result, error, samples: load.samples, actAt, actMs, before, after, settleMs };
}

function rowOf(label: string, measured: Measured<unknown>, freezeS: number | undefined, freezeIsOutage: boolean, wallMs: number, notes: string[]): Row {
  const { samples, before, after } = measured;
  const failed = samples.filter((sample) => sample.outcome === 'failed');
  const notReady = samples.filter((sample) => sample.outcome === 'not-ready');
  const rel = (at: number) => `+${((at - measured.actAt) / 1000).toFixed(1)} s`;
  const span = (list: readonly Sample[]) => list.length === 0 ? '' : ` at ${rel(list[0]?.at ?? 0)}..${rel(list.at(-1)?.at ?? 0)}`;
  const kinds = (list: readonly Sample[]) => [...new Set(list.map((sample) => sample.detail.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, '<addr>').slice(0, 100)))].slice(0, 4).join(' | ');
  const fed = after.fed - before.fed;
  const lines = [
    `load: ${samples.length} GETs of /readyz through nginx, ${samples.length - failed.length - notReady.length} ready, ${notReady.length} not ready${span(notReady)}, ${failed.length} failed${span(failed)}; longest stretch not ready ${(longestNotReady(samples) / 1000).toFixed(1)} s`,
    ...(failed.length > 0 ? [`  failed: ${kinds(failed)}`] : []),
    ...(notReady.length > 0 ? [`  not ready: ${kinds(notReady)}`] : []),
    `telegram: ${fed} updates fed during the change (${after.fed} in all), ${after.lost} lost${after.lost > 0 ? ` (ids ${after.lostIds.slice(0, 10).join(', ')})` : ''}, ${after.doubled} consumed twice${after.doubled > 0 ? ` (ids ${after.doubledIds.slice(0, 10).join(', ')})` : ''}, ${after.conflicts - before.conflicts} 409 conflicts; pollers in order: ${after.pollers.join(' → ')}; settled ${(measured.settleMs / 1000).toFixed(1)} s after the feed stopped`,
    ...notes,
  ];
  return {
    label,
    failed: failed.length,
    notReady: notReady.length,
    lost: after.lost,
    doubled: after.doubled,
    twoPollerS: (after.twoPollerMs - before.twoPollerMs) / 1000,
    noPollerS: (after.noPollerMs - before.noPollerMs) / 1000,
    freezeS,
    freezeIsOutage,
    wallS: wallMs / 1000,
    notes: lines,
    ...(measured.error !== undefined ? { error: measured.error } : {}),
  };
}

/** The last output line a step reported. */
function said(run: Run, suffix: string): string {
  const event = run.events.find((candidate) => (candidate.type === 'step-finished' || candidate.type === 'step-failed') && candidate.stepId.endsWith(suffix));
  const excerpt = event?.type === 'step-finished' || event?.type === 'step-failed' ? event.excerpt ?? '' : '';
  return excerpt.trim().split('\n').at(-1) ?? '';
}

/** A step id without its `host:` prefix (steps of no host keep theirs). */
function shortId(id: string): string {
  return id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
}

/** Steps from the live color's channels stopping to the traffic switch, with their durations. */
function handoffTimeline(run: Run): string {
  const finished = run.events.flatMap((event) => event.type === 'step-finished' ? [event] : []);
  const first = finished.findIndex((event) => event.stepId.endsWith(':handoff-channels'));
  const last = finished.findIndex((event) => event.stepId.endsWith(':handoff-switched'));
  if (first < 0 || last < 0) return '(not reached)';
  return finished.slice(first, last + 1).map((event) => `${shortId(event.stepId)} ${(event.durationMs / 1000).toFixed(1)}`).join(', ');
}

async function blueGreenRow(real: RealFleet, host: TestHost, redis: RedisServer, cleanup: Array<() => Promise<unknown>>): Promise<Row> {
  const site = await startSite(real, host, 'blue-green', redis.url, 'bench-real-bg', cleanup);
  const prep = await bringUp(site, { name: BLUE.app, port: BLUE.port, stateDir: BLUE.stateDir, script: `${site.op.host.releasesDir}/${REAL_SCHEMA_FROM}/bin/openclaw` }, []);
  const engine: Engine = await startRealEngine(site.config, real.shell);
  cleanup.push(() => engine.close());
  console.log(`[blue-green] prepared on ${host.name}: ${describeTimings(prep)}`);
  const measured = await measure(site, async () => {
    const run = await runUntilFinished(engine, { kind: 'upgrade', version: REAL_SCHEMA_TO, environment: ENV, dryRun: false, skipStaging: false }, 900_000);
    if (run.outcome !== 'succeeded') {
      throw Object.assign(new Error(`upgrade ${run.upgradeId} ended ${run.outcome}: ${run.summary}\n${describeEvents(run.events)}`), { run });
    }
    return run;
  });
  const run = measured.result;
  const notes: string[] = [];
  let freezeS: number | undefined;
  if (run) {
    const switched = said(run, ':handoff-switched');
    const freeze = /write freeze (\d+(?:\.\d+)?) s/.exec(switched);
    freezeS = freeze ? Number(freeze[1]) : undefined;
    notes.push(`handoff-switched: ${switched || '(no output)'}`);
    notes.push(`handoff-leases: ${said(run, ':handoff-leases') || '(no output)'}`);
    notes.push(`handoff-left: ${said(run, ':handoff-left') || '(no output)'}`);
    notes.push(`the freeze, step by step (channels stop … traffic switched): ${handoffTimeline(run)}`);
    const slow = Object.entries(run.stepMs).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([id, ms]) => `${shortId(id)} ${(ms / 1000).toFixed(1)} s`);
    notes.push(`engine run ${run.upgradeId}: ${run.plan.steps.length} steps, ${(run.ms / 1000).toFixed(1)} s; slowest: ${slow.join(', ')}`);
    notes.push(`running on green after the upgrade: ${await runningVersion(site.op, GREEN.port, GREEN.stateDir) ?? '?'}`);
  } else {
    notes.push(`engine run did not succeed (see below); host diagnostics:\n${await diagnosticsOf(site.op)}`);
  }
  return rowOf('blue-green handoff (clawops)', measured, freezeS, false, run?.ms ?? measured.actMs, notes);
}

async function pm2RestartRow(real: RealFleet, host: TestHost, redis: RedisServer, cleanup: Array<() => Promise<unknown>>): Promise<Row> {
  const site = await startSite(real, host, 'pm2', redis.url, 'bench-real-restart', cleanup);
  const { op } = site;
  const prep = await bringUp(site, { name: RESTART.app, port: RESTART.port, stateDir: RESTART.stateDir, script: `${op.host.releasesDir}/current/bin/openclaw` }, [REAL_SCHEMA_TO]);
  console.log(`[pm2 restart] prepared on ${host.name}: ${describeTimings(prep)}`);
  const measured = await measure(site, async (load) => {
    const started = performance.now();
    await must(op, ['ln', '-sfn', `${op.host.releasesDir}/${REAL_SCHEMA_TO}`, `${op.host.releasesDir}/current`], 'pointing current at the new release');
    const restart = await pm2(op.shell, op.target, ['restart', RESTART.app]);
    if (restart.exitCode !== 0) throw new Error(`pm2 restart exited ${restart.exitCode}: ${restart.stderr.trim() || restart.stdout.trim()}`);
    const restarted = performance.now();
    const readyAt = await load.readyAfter(restarted, 300_000);
    return { restartMs: restarted - started, readyMs: readyAt - started };
  });
  const notes: string[] = [];
  if (measured.result) notes.push(`\`pm2 restart\` returned after ${(measured.result.restartMs / 1000).toFixed(1)} s; ready through nginx ${(measured.result.readyMs / 1000).toFixed(1)} s after the restart began (${REAL_SCHEMA_TO} installed beforehand: ${((prep[`install ${REAL_SCHEMA_TO}`] ?? 0) / 1000).toFixed(1)} s, not counted)`);
  notes.push(`running after the restart: ${await runningVersion(op, RESTART.port, RESTART.stateDir) ?? '?'}`);
  if (measured.error) notes.push(`host diagnostics:\n${await diagnosticsOf(op)}`);
  const readyMs = measured.result?.readyMs;
  return rowOf('pm2 restart (by hand: pm2 restart on the same host)', measured, readyMs === undefined ? undefined : readyMs / 1000, true, readyMs ?? measured.actMs, notes);
}

async function diagnosticsOf(op: OperatorHost): Promise<string> {
  const list = await pm2(op.shell, op.target, ['jlist']).catch(() => ({ stdout: '' }));
  let apps = '?';
  try {
    const line = list.stdout.trim().split('\n').reverse().find((candidate) => candidate.startsWith('[')) ?? '[]';
    apps = (JSON.parse(line) as Array<{ name: string; pm2_env?: { status?: string; restart_time?: number } }>).map((app) => `${app.name} ${app.pm2_env?.status ?? '?'} (restarts ${app.pm2_env?.restart_time ?? '?'})`).join(', ');
  } catch { /* keep '?' */ }
  const log = await op.shell.run(op.target, ['tail', '-n', '25', `${HOME}/openclaw-gateway.log`], { timeoutMs: 10_000 }).catch(() => ({ stdout: '' }));
  return `    pm2: ${apps}\n    gateway log (tail):\n${log.stdout.split('\n').map((line) => `      ${line.slice(0, 240)}`).join('\n')}`;
}

function describeTimings(timings: Record<string, number>): string {
  return Object.entries(timings).map(([what, ms]) => `${what} ${(ms / 1000).toFixed(1)} s`).join(', ');
}

// ---------------------------------------------------------------- the table

function printTable(rows: readonly Row[]): void {
  const header = ['', 'failed HTTP requests', 'answered not ready', 'updates lost', 'updates consumed twice', 's with two pollers', 's with no poller', 'write-freeze s', 'wall s'];
  const int = (value: number) => Number.isNaN(value) ? '—' : String(value);
  const dec = (value: number) => Number.isNaN(value) ? '—' : value.toFixed(1);
  const cells = rows.map((row) => [
    row.label,
    int(row.failed),
    int(row.notReady),
    int(row.lost),
    int(row.doubled),
    dec(row.twoPollerS),
    dec(row.noPollerS),
    row.freezeS === undefined ? (row.error ? 'n/a (failed)' : 'n/a') : `${row.freezeS.toFixed(1)}${row.freezeIsOutage ? ' *' : ''}`,
    `${dec(row.wallS)}${row.error ? ' (failed)' : ''}`,
  ]);
  const widths = header.map((title, index) => Math.max(title.length, ...cells.map((cell) => (cell[index] ?? '').length)));
  const line = (values: readonly string[]) => `| ${values.map((value, index) => index === 0 ? value.padEnd(widths[index] ?? 0) : value.padStart(widths[index] ?? 0)).join(' | ')} |`;
  console.log(`\nreal openclaw ${REAL_SCHEMA_FROM} → ${REAL_SCHEMA_TO} (schema change) under load: GET /readyz through nginx every ${LOAD_PERIOD_MS} ms on a new connection, a Telegram update fed every ${FEED_MS} ms\n`);
  console.log(line(header));
  console.log(`|${widths.map((width, index) => index === 0 ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`).join('|')}|`);
  for (const row of cells) console.log(line(row));
  console.log(`\n* pm2 restart has no write freeze: nothing accepts writes from the moment PM2 stops the old process until the new one is ready; the column shows that gap (restart to ready through nginx).`);
  console.log(`  wall s: blue-green = the whole engine run (install ${REAL_SCHEMA_TO}, snapshot, green start + migration, switch, watch); pm2 restart = from the restart to ready through nginx (${REAL_SCHEMA_TO} installed beforehand).`);

  console.log('\ngoals:');
  const goals: Array<{ title: string; met: (row: Row) => boolean; value: (row: Row) => string }> = [
    { title: '0 failed HTTP requests', met: (row) => row.failed === 0, value: (row) => String(row.failed) },
    { title: '0 updates lost', met: (row) => row.lost === 0, value: (row) => String(row.lost) },
    { title: '0 updates consumed twice', met: (row) => row.doubled === 0, value: (row) => String(row.doubled) },
    { title: '0 s with two pollers', met: (row) => row.twoPollerS === 0, value: (row) => `${row.twoPollerS.toFixed(1)} s` },
    { title: `≤ ${FREEZE_GOAL_S} s write freeze`, met: (row) => row.freezeS !== undefined && row.freezeS <= FREEZE_GOAL_S, value: (row) => row.freezeS === undefined ? 'n/a' : `${row.freezeS.toFixed(1)} s${row.freezeIsOutage ? ' (outage)' : ''}` },
  ];
  for (const goal of goals) {
    const verdicts = rows.map((row) => `${row.label.split(' (')[0]}: ${goal.met(row) && !row.error ? 'met' : 'NOT met'} (${goal.value(row)})`);
    console.log(`  ${goal.title.padEnd(26)} ${verdicts.join('; ')}`);
  }
  for (const row of rows) {
    console.log(`\n${row.label}:`);
    for (const note of row.notes) console.log(`  ${note}`);
    if (row.error) console.log(`  FAILED: ${row.error}`);
  }
}

// ---------------------------------------------------------------- main

/** Runs both scenarios and prints the table; everything started is stopped, also on failure or Ctrl-C. */
export async function runRealDowntime(): Promise<void> {
  const started = performance.now();
  const cleanup: Array<() => Promise<unknown>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => {
    cleaning ??= (async () => {
      for (const step of cleanup.reverse()) await step().catch((error: unknown) => console.error(`clean-up: ${String(error)}`));
    })();
    return cleaning;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const cache = await ensureRealCache({ log: (line) => console.log(`[real] ${line}`) });
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const real = await startRealFleet(2, cache, ['gw-bg', 'gw-restart']);
    cleanup.push(() => real.stop());
    const [bgHost, restartHost] = real.fleet.hosts as [TestHost, TestHost];
    const rows: Row[] = [];

    // One after the other: a real gateway starts CPU-bound, and the machine has 2 cores.
    const bgCleanup: Array<() => Promise<unknown>> = [];
    cleanup.push(() => drain(bgCleanup));
    rows.push(await blueGreenRow(real, bgHost, redis, bgCleanup).catch((error: unknown) => unmeasured('blue-green handoff (clawops)', error)));
    await drain(bgCleanup);

    const restartCleanup: Array<() => Promise<unknown>> = [];
    cleanup.push(() => drain(restartCleanup));
    rows.push(await pm2RestartRow(real, restartHost, redis, restartCleanup).catch((error: unknown) => unmeasured('pm2 restart (by hand: pm2 restart on the same host)', error)));
    await drain(restartCleanup);

    printTable(rows);
    console.log(`\nbench wall time ${((performance.now() - started) / 1000).toFixed(0)} s`);
    if (rows.some((row) => row.error)) process.exitCode = 1;
  } finally {
    await cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A row whose set-up failed before anything was measured. */
function unmeasured(label: string, error: unknown): Row {
  const message = error instanceof Error ? error.message : String(error);
  return { label, failed: NaN, notReady: NaN, lost: NaN, doubled: NaN, twoPollerS: NaN, noPollerS: NaN, freezeS: undefined, freezeIsOutage: false, wallS: NaN, notes: ['set-up failed before the change was measured'], error: message };
}

/** Runs (and empties) a list of clean-ups, last added first. */
async function drain(steps: Array<() => Promise<unknown>>): Promise<void> {
  while (steps.length > 0) {
    const step = steps.pop();
    await step?.().catch((error: unknown) => console.error(`clean-up: ${String(error)}`));
  }
}
