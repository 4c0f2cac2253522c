/**
 * Downtime under load, three ways of changing what serves, side by side in one run. Each host
 * has nginx on :80 in front of the app; the load (a separate process, bench/lib/load-child.ts)
 * runs from the root namespace to the host's 198.18.x.2:80 at a fixed rate per stream:
 * new connection per request, keep-alive raw, keep-alive with one retry on a reused socket.
 *
 * (a) blue-green upgrade of the OpenClaw double 1.2.0 -> 1.3.0 through the engine + planner,
 *     the switch-traffic gate approved by a second person as soon as it waits;
 * (b) `pm2 reload` of a tiny draining Node app in PM2 cluster mode (2 instances) — real
 *     OpenClaw cannot run clustered (DESIGN §2), so this shows what PM2 itself can do;
 * (c) the baseline: `pm2 restart` of the double in fork mode;
 * (d) docker-compose upgrade 1.2.0 -> 1.3.0 through the engine, for real: podman + Compose v1 on
 *     the host, the double in a container per version (test/harness/compose.ts); compose
 *     recreates the container stop-first, nginx's upstream is the published port.
 *
 *   npm run bench:downtime -- [--rate 100] [--min 3400] [--only a,b,c,d]
 *
 * `--real` runs bench/downtime-real.ts instead: the real `openclaw` package 2026.9.5 -> 2026.9.6
 * (the schema change), clawops's blue-green handoff next to a `pm2 restart` by hand, under HTTP
 * load and Telegram traffic. With `--real --only a,b,c` the double scenarios run first, then it.
 */
import { parseArgs } from 'node:util';
import type { RemoteShell } from '../src/remote/types.js';
import type { TestHost } from '../test/harness/hosts.js';
import { composeDown } from '../test/harness/compose.js';
import { COMPOSE_STRATEGY, prepareComposeHost } from '../test/harness/compose-fleet.js';
import { startNginx } from '../test/harness/nginx.js';
import { startGatewayUnderPm2, waitReady } from '../test/harness/openclaw.js';
import { pm2StartEcosystem, TINY_SERVER_JS } from '../test/harness/pm2.js';
import { botUpgrade, openEngine } from './lib/bot.js';
import { describeStream, type StreamResult, type StreamSpec } from './lib/load.js';
import { startRemoteLoad } from './lib/load-child.js';
import { BACKUPS, benchConfig, FROM, installReleases, linkCurrent, must, RELEASES, seconds, STATE, startPm2Gateway, startStack, TO, type Stack } from './lib/stack.js';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '100' }, min: { type: 'string', default: '3400' }, only: { type: 'string' }, real: { type: 'boolean', default: false } } });
const rate = Math.min(1000, Number(values.rate));
const minPerStream = Math.min(20_000, Number(values.min));
// Without --real the double scenarios a,b,c,d run by default; with it, only those named by --only.
const only = new Set((values.only ?? (values.real ? '' : 'a,b,c,d')).split(',').filter((key) => key !== ''));
const STREAMS: StreamSpec[] = [{ mode: 'new-connection', rate }, { mode: 'keep-alive', rate }, { mode: 'keep-alive+retry', rate }];
// Bound on a scenario: the minimum at the rate, plus room for the action itself.
const MAX_MS = Math.ceil((minPerStream / rate) * 1000) + 120_000;

interface Scenario {
  key: string;
  title: string;
  host: TestHost;
  /** Gets the host ready (not measured). */
  prepare(): Promise<void>;
  /** The change measured under load; returns a note for the report. */
  act(): Promise<string>;
}

async function withNginx(stack: Stack, host: TestHost) {
  return startNginx(stack.shell, host.target, { servers: ['127.0.0.1:18789'] });
}

function blueGreen(stack: Stack, host: TestHost): Scenario {
  let config: ReturnType<typeof benchConfig> | undefined;
  return {
    key: 'a', host, title: `(a) blue-green upgrade ${FROM} -> ${TO} through the engine (switch gate auto-approved)`,
    async prepare() {
      await installReleases(stack.shell, host, [FROM]);
      await linkCurrent(stack.shell, host, FROM);
      await startGatewayUnderPm2(stack.shell, host, { prefix: `${RELEASES}/${FROM}`, port: 18789, stateDir: STATE, appName: 'openclaw-blue' });
      await waitReady(stack.shell, host, { port: 18789, timeoutMs: 30_000 });
      const nginx = await withNginx(stack, host);
      config = benchConfig(stack.redis.url, 'downtime', {
        hosts: [host.hostConfig({
          kind: 'blue-green',
          blue: { port: 18789, stateDir: STATE, app: 'openclaw-blue' },
          green: { port: 19789, stateDir: '/root/.openclaw-green', app: 'openclaw-green' },
          nginx: { upstreamFile: nginx.upstreamFile, upstreamName: nginx.upstreamName, backendHost: '127.0.0.1', test: nginx.testArgv, reload: nginx.reloadArgv },
          publicUrl: `http://${host.address}:${nginx.port}`,
        }, { releasesDir: RELEASES, backupDir: BACKUPS, stateDir: STATE })],
      });
    },
    async act() {
      if (!config) throw new Error('not prepared');
      const engine = await openEngine(config, stack.shell);
      try {
        const run = await botUpgrade(engine, TO, 'production');
        if (run.outcome !== 'succeeded') throw new Error(`blue-green upgrade ${run.outcome}: ${run.summary}`);
        const reload = run.events.find(({ event }) => event.type === 'step-finished' && event.stepId.endsWith(':nginx-reload'));
        return `upgrade ${seconds(run.totalMs)}, ${run.plan.steps.length} steps; nginx reload at +${seconds((reload?.at ?? 0) - (run.events[0]?.at ?? 0))} after the plan`;
      } finally {
        await engine.close();
      }
    },
  };
}

function clusterReload(stack: Stack, host: TestHost): Scenario {
  return {
    key: 'b', host, title: '(b) pm2 reload, cluster mode (2 instances), tiny draining Node app (not OpenClaw: it cannot run clustered)',
    async prepare() {
      await stack.shell.writeFile(host.target, '/root/tiny.js', TINY_SERVER_JS);
      await pm2StartEcosystem(stack.shell, host.target, '/root/tiny.config.js', [{
        name: 'tiny', script: '/root/tiny.js', exec_mode: 'cluster', instances: 2, wait_ready: true, listen_timeout: 5_000, kill_timeout: 3_000,
        env: { PORT: '18789', HOST: '127.0.0.1', APP_NAME: 'tiny' },
      }]);
      await waitReady(stack.shell, host, { port: 18789, timeoutMs: 30_000 }).catch(() => undefined);
      await withNginx(stack, host);
    },
    async act() {
      const started = performance.now();
      await must(stack.shell, host, ['pm2', 'reload', 'tiny']);
      return `pm2 reload took ${seconds(performance.now() - started)}`;
    },
  };
}

function forkRestart(stack: Stack, host: TestHost): Scenario {
  return {
    key: 'c', host, title: '(c) baseline: pm2 restart of the double in fork mode',
    async prepare() {
      await installReleases(stack.shell, host, [FROM]);
      await linkCurrent(stack.shell, host, FROM);
      await startPm2Gateway(stack.shell, host);
      await withNginx(stack, host);
    },
    async act() {
      const started = performance.now();
      await must(stack.shell, host, ['pm2', 'restart', 'openclaw']);
      await waitReady(stack.shell, host, { port: 18789, timeoutMs: 30_000, intervalMs: 20 });
      return `pm2 restart + ready took ${seconds(performance.now() - started)}`;
    },
  };
}

function composeUpgrade(stack: Stack, host: TestHost): Scenario {
  let config: ReturnType<typeof benchConfig> | undefined;
  return {
    key: 'd', host, title: `(d) docker-compose upgrade ${FROM} -> ${TO} through the engine, podman + Compose v1 (recreate, stop-first)`,
    async prepare() {
      await prepareComposeHost(host, { versions: [FROM, TO], initialVersion: FROM, startupMs: 300 });
      await waitReady(stack.shell, host, { port: 18789, timeoutMs: 30_000 });
      await withNginx(stack, host);
      config = benchConfig(stack.redis.url, 'downtime-compose', { hosts: [host.hostConfig(COMPOSE_STRATEGY, { backupDir: BACKUPS, stateDir: STATE })] });
    },
    async act() {
      if (!config) throw new Error('not prepared');
      const engine = await openEngine(config, stack.shell);
      try {
        const run = await botUpgrade(engine, TO, 'production');
        if (run.outcome !== 'succeeded') throw new Error(`compose upgrade ${run.outcome}: ${run.summary}`);
        const up = run.events.find(({ event }) => event.type === 'step-finished' && event.stepId.endsWith(':up'));
        return `upgrade ${seconds(run.totalMs)}, ${run.plan.steps.length} steps; compose up (recreate) done at +${seconds((up?.at ?? 0) - (run.events[0]?.at ?? 0))} after the plan`;
      } finally {
        await engine.close();
      }
    },
  };
}

async function measure(scenario: Scenario): Promise<{ results: StreamResult[]; note: string; actAtMs: number; actMs: number }> {
  const load = await startRemoteLoad({ url: `http://${scenario.host.address}/`, streams: STREAMS, minRequestsPerStream: minPerStream, maxMs: MAX_MS });
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const actAtMs = performance.now() - t0;
  let note: string;
  try {
    note = await scenario.act();
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  const actMs = performance.now() - t0 - actAtMs - 2_000;
  return { results: await load.finish(), note, actAtMs, actMs };
}

function report(scenario: Scenario, measured: Awaited<ReturnType<typeof measure>>): void {
  console.log(`\n${scenario.title}\n  ${measured.note}`);
  console.log(`  ${'client'.padEnd(18)} ${'requests'.padStart(8)} ${'failed'.padStart(6)} ${'retried'.padStart(7)} ${'p99'.padStart(10)} ${'max'.padStart(10)}  failures`);
  for (const result of measured.results) {
    const row = describeStream(result);
    // When failures happened, relative to the start of the change (load starts 2 s before it).
    const window = result.failedAtMs.length === 0 ? '' : ` at +${seconds(Math.min(...result.failedAtMs) - measured.actAtMs)}..+${seconds(Math.max(...result.failedAtMs) - measured.actAtMs)}`;
    console.log(`  ${result.mode.padEnd(18)} ${String(row.requests).padStart(8)} ${String(row.failed).padStart(6)} ${String(row.retried).padStart(7)} ${row.p99.padStart(10)} ${row.max.padStart(10)}  ${row.why}${window}`);
  }
  const versions: Record<string, number> = {};
  for (const result of measured.results) for (const [version, count] of Object.entries(result.versions)) versions[version] = (versions[version] ?? 0) + count;
  console.log(`  served by: ${Object.entries(versions).map(([version, count]) => `${version === '' ? 'tiny app' : version} ${count}`).join(', ')}`);
  const total = measured.results.reduce((sum, result) => sum + result.requests, 0);
  console.log(`  total ${total} requests at ${STREAMS.length}×${rate} req/s; change took ${seconds(measured.actMs)}`);
}

async function main(): Promise<void> {
  if (only.size > 0) await runDoubles();
  if (values.real) {
    const { runRealDowntime } = await import('./downtime-real.js');
    await runRealDowntime();
  }
}

async function runDoubles(): Promise<void> {
  const stack = await startStack(4);
  const [a, b, c, d] = stack.fleet.hosts as [TestHost, TestHost, TestHost, TestHost];
  try {
    const scenarios = [blueGreen(stack, a), clusterReload(stack, b), forkRestart(stack, c), composeUpgrade(stack, d)].filter((scenario) => only.has(scenario.key));
    await Promise.all(scenarios.map((scenario) => scenario.prepare()));
    console.log(`downtime under load: ${STREAMS.map((s) => s.mode).join(', ')} at ${rate} req/s each, >= ${minPerStream} requests per client per scenario, through nginx on each host`);
    for (const scenario of scenarios) report(scenario, await measure(scenario));
  } finally {
    await stopPm2(stack.shell, stack.fleet.hosts);
    if (only.has('d')) await composeDown(d);
    await stack.stop();
  }
}

async function stopPm2(shell: RemoteShell, hosts: readonly TestHost[]): Promise<void> {
  // Powering the hosts off kills PM2 too; a clean kill first keeps its logs quiet.
  await Promise.all(hosts.map((host) => shell.run(host.target, ['pm2', 'kill'], { timeoutMs: 15_000 }).catch(() => undefined)));
}

main().catch((error: unknown) => { console.error(error); process.exitCode = 1; });
