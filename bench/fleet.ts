/**
 * Fleet rollout: 1, 20 and 50 hosts upgraded (OpenClaw double 1.2.0 -> 1.3.0, PM2 strategy)
 * with environment.parallelism = 10, the bot alone in a child process (bench/fleet-bot.ts) so
 * its peak RSS is measured. Light on purpose (2 cores, 24 GiB): 1.3.0 is pre-staged side by
 * side on every host (so the plan has no npm install: 50 concurrent installs would measure npm
 * and the CPU, not the bot), the gateway is the double under one PM2 daemon per host.
 * Reports wall time, per-batch time and RSS; goal wall <= 1.2 × batches × one host's time.
 *
 *   npm run bench:fleet -- [--sizes 20,50] [--parallelism 10]
 */
import { fork } from 'node:child_process';
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { TestHost } from '../test/harness/hosts.js';
import type { FleetBotMessage } from './fleet-bot.js';
import { BACKUPS, FROM, installReleases, linkCurrent, must, pm2HostConfig, RELEASES, seconds, STATE, startPm2Gateway, startStack, TO, APPROVER, type Stack } from './lib/stack.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '20,50' }, parallelism: { type: 'string', default: '10' } } });
const sizes = values.sizes.split(',').map(Number).filter((n) => n > 0 && n <= 60);
const parallelism = Number(values.parallelism);
const maxHosts = Math.max(...sizes);

async function prepare(stack: Stack): Promise<void> {
  const [first, ...rest] = stack.fleet.hosts as [TestHost, ...TestHost[]];
  // Real npm installs on one host; the others get a copy of its releases dir (same paths inside every host).
  await installReleases(stack.shell, first, [FROM, TO]);
  await Promise.all(rest.map(async (host) => {
    await mkdir(join(host.homeDir, '.clawops'), { recursive: true });
    await cp(join(first.homeDir, '.clawops', 'releases'), join(host.homeDir, '.clawops', 'releases'), { recursive: true, verbatimSymlinks: true });
  }));
  await eachBounded(stack.fleet.hosts, (host) => reset(stack, host, true));
}

/**
 * Host set-up and resets, a few hosts at a time: 50 PM2 daemons spawned at once on 2 cores took
 * over 30 s each to answer `pm2 start` (the bench died before measuring anything).
 */
async function eachBounded<T>(items: readonly T[], fn: (item: T) => Promise<void>, limit = 6): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

/** 1.2.0 running from `current` under PM2 on a pristine state; 1.3.0 installed beside it. */
async function reset(stack: Stack, host: TestHost, first = false): Promise<void> {
  if (!first) {
    await stack.shell.run(host.target, ['pm2', 'delete', 'openclaw'], { timeoutMs: 30_000 });
    await must(stack.shell, host, ['rm', '-rf', BACKUPS, STATE, `${RELEASES}/current.tmp`]);
    await must(stack.shell, host, ['cp', '-a', `${STATE}.pristine`, STATE]);
  }
  await linkCurrent(stack.shell, host, FROM);
  await startPm2Gateway(stack.shell, host);
  if (first) await must(stack.shell, host, ['cp', '-a', STATE, `${STATE}.pristine`]);
}

/** Runs the bot in its own process against the first `n` hosts. */
async function rollout(stack: Stack, n: number, prefix: string) {
  const hosts = stack.fleet.hosts.slice(0, n);
  const config = {
    environments: { production: { hosts: hosts.map((host) => pm2HostConfig(host)), parallelism } },
    runbook: { watch: { minutes: 0 } },
    approvals: { terminal: { users: [APPROVER.userId] } },
    redis: { url: stack.redis.url, prefix },
  };
  const child = fork(new URL('./fleet-bot.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'] });
  const messages: FleetBotMessage[] = [];
  // 'close', not 'exit': 'exit' can fire before the last IPC message (the large `done`) is delivered.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.on('message', (message) => messages.push(message as FleetBotMessage));
  child.send({ config, version: TO });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
  await exited;
  clearTimeout(timer);
  const error = messages.find((message) => message.type === 'error');
  if (error?.type === 'error') throw new Error(`bot process: ${error.message}`);
  const idle = messages.find((message) => message.type === 'idle');
  const done = messages.find((message) => message.type === 'done');
  if (idle?.type !== 'idle' || done?.type !== 'done') throw new Error('bot process ended without results');
  if (done.run.outcome !== 'succeeded') throw new Error(`rollout of ${n} hosts: ${done.run.outcome}: ${done.run.summary}`);
  return { idleMb: idle.rssMb, peakMb: done.peakMb, run: done.run };
}

type Run = Awaited<ReturnType<typeof rollout>>;

/** Per rollout batch: first step-started to last step-finished of its steps (event timestamps). */
function batchTimes(run: Run['run']): Array<{ batch: number; hosts: number; ms: number }> {
  const batchOf = new Map(run.plan.steps.filter((step) => step.phase === 'rollout').map((step) => [step.id, step.batch ?? 0]));
  const spans = new Map<number, { start: number; end: number; hosts: Set<string> }>();
  for (const { event } of run.events) {
    if (event.type !== 'step-started' && event.type !== 'step-finished') continue;
    const batch = batchOf.get(event.stepId);
    if (batch === undefined) continue;
    const at = Date.parse(event.at);
    const span = spans.get(batch) ?? { start: Infinity, end: -Infinity, hosts: new Set<string>() };
    span.hosts.add(event.stepId.split(':')[0] ?? '');
    if (event.type === 'step-started') span.start = Math.min(span.start, at);
    else span.end = Math.max(span.end, at);
    spans.set(batch, span);
  }
  return [...spans.entries()].sort(([a], [b]) => a - b).map(([batch, span]) => ({ batch, hosts: span.hosts.size, ms: span.end - span.start }));
}

async function main(): Promise<void> {
  const started = performance.now();
  const stack = await startStack(maxHosts);
  try {
    await prepare(stack);
    console.log(`fleet bench: ${maxHosts} hosts up and on ${FROM} in ${seconds(performance.now() - started)}; parallelism ${parallelism}`);
    const one = await rollout(stack, 1, 'fleet1');
    const oneHostMs = one.run.totalMs;
    const oneRollout = batchTimes(one.run)[0]?.ms ?? Number.NaN;
    console.log(`\n1 host: wall ${seconds(oneHostMs)} (plan ${seconds(one.run.planMs)}, rollout steps ${seconds(oneRollout)}), bot RSS idle ${one.idleMb.toFixed(0)} MB, peak ${one.peakMb.toFixed(0)} MB`);
    await reset(stack, stack.fleet.hosts[0] as TestHost);
    for (const n of sizes) {
      const run = await rollout(stack, n, `fleet${n}`);
      const batches = batchTimes(run.run);
      const goal = 1.2 * batches.length * oneHostMs;
      console.log(`\n${n} hosts, ${batches.length} batches of <= ${parallelism}: wall ${seconds(run.run.totalMs)} (plan ${seconds(run.run.planMs)}); goal <= 1.2 × ${batches.length} × ${seconds(oneHostMs)} = ${seconds(goal)} -> ${run.run.totalMs <= goal ? 'met' : 'NOT met'}`);
      console.log(`  per batch (rollout phase): ${batches.map((b) => `#${b.batch} ${b.hosts} hosts ${seconds(b.ms)}`).join(', ')}`);
      // A batch that runs its hosts at once takes about one host's rollout; one after another, hosts × that.
      const mean = batches.reduce((sum, b) => sum + b.ms, 0) / batches.length;
      console.log(`  mean batch ${seconds(mean)} = ${(mean / oneRollout).toFixed(1)} × one host's rollout steps (${seconds(oneRollout)}); concurrent hosts would make this ~1`);
      const verify = run.run.plan.steps.filter((step) => step.phase === 'verify').length;
      console.log(`  steps: ${run.run.plan.steps.length} (${verify} verify steps after the rollout); bot RSS idle ${run.idleMb.toFixed(0)} MB, peak ${run.peakMb.toFixed(0)} MB (goals 150 / 250 MB)`);
      await eachBounded(stack.fleet.hosts.slice(0, n), (host) => reset(stack, host));
    }
  } finally {
    await Promise.all(stack.fleet.hosts.map((host) => stack.shell.run(host.target, ['pm2', 'kill'], { timeoutMs: 20_000 }).catch(() => undefined)));
    await stack.stop();
  }
}

main().catch((error: unknown) => { console.error(error); process.exitCode = 1; });
