/**
 * Slack ack latency through the real Bolt HTTP receiver (with clawops' timestamp guard), and the
 * time from a slash command to the first thread message, against the local fake Slack. The fake
 * and the load run in a child process (bench/chat-load.ts); this process runs only the adapter.
 *
 *   npm run bench:chat -- [--requests 1000] [--concurrency 1,10] [--warmup 50]
 *
 * Each concurrency is one phase of `requests` commands: 1 = commands one at a time (how a team
 * uses it), 10 = a burst with ten in flight. Goal: ack p99 <= 50 ms (Slack's hard limit is 3 s).
 */
import { parseArgs } from 'node:util';
import { fork, type ChildProcess } from 'node:child_process';
import { createSlackAdapter } from '../src/chat/slack/index.js';
import { createLogger } from '../src/log/logger.js';
import type { LoadMessage } from './chat-load.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '1,10' },
    warmup: { type: 'string', default: '50' },
  },
});
const settings = { secret: 'bench-signing-secret', requests: Number(values.requests), concurrency: values.concurrency.split(',').map(Number), warmup: Number(values.warmup) };

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

function summary(samples: readonly number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const f = (n: number): string => `${n.toFixed(2)} ms`;
  return `p50 ${f(percentile(sorted, 50))}  p90 ${f(percentile(sorted, 90))}  p99 ${f(percentile(sorted, 99))}  max ${f(sorted[sorted.length - 1] ?? Number.NaN)}`;
}

function next(child: ChildProcess): Promise<LoadMessage> {
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as LoadMessage));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`load process exited (${code}) early`)));
  });
}

async function main(): Promise<void> {
  const load = fork(new URL('./chat-load.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'] });
  load.send(settings);
  try {
    const ready = await next(load);
    if (ready.type !== 'ready') throw new Error('load process did not start');
    const adapter = createSlackAdapter({
      config: { botToken: 'xoxb-bench', signingSecret: settings.secret, mode: 'http', port: 0 },
      logger: createLogger({ level: 'silent', pretty: false }),
      apiUrl: ready.apiUrl,
      host: '127.0.0.1',
    });
    // The stub a real gateway replaces with "parse, plan, post the plan summary".
    adapter.onCommand(async (event) => {
      await adapter.post({ platform: 'slack', channel: event.channel }, { title: 'Upgrade plan', text: event.text });
    });
    await adapter.start();
    const done = next(load);
    load.send({ url: adapter.url });
    const result = await done;
    await adapter.stop();
    if (result.type !== 'done') throw new Error('unexpected message from the load process');

    console.log('Slack slash commands through the real Bolt HTTP receiver (fake Web API on loopback, separate process)');
    for (const phase of result.phases) {
      const p99 = percentile([...phase.acks].sort((a, b) => a - b), 99);
      console.log(`\n${settings.requests} requests, concurrency ${phase.concurrency}, non-200 answers ${phase.failures}, ${(settings.requests / (phase.elapsedMs / 1000)).toFixed(0)} commands/s`);
      console.log(`  ack latency         ${summary(phase.acks)}`);
      console.log(`  command -> thread   ${summary(phase.firstMessage)}  (${phase.firstMessage.length}/${settings.requests} posted)`);
      console.log(`  goal ack p99 <= 50 ms: ${p99 <= 50 ? 'met' : 'MISSED'}`);
    }
  } finally {
    if (load.exitCode === null) load.kill();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
