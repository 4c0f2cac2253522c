/**
 * The load side of bench/chat.ts, in its own process so that sending requests and serving the
 * fake Web API do not queue behind the adapter under test on the same event loop.
 */
import { startFakeSlack } from '../test/fakes/slack/server.js';
import { postSigned, slashCommandBody } from '../test/fakes/slack/signing.js';

/** What bench/chat.ts sends first. */
export interface LoadSettings { secret: string; requests: number; concurrency: number[]; warmup: number }

/** One phase: `requests` commands with `concurrency` in flight. */
export interface PhaseResult { concurrency: number; acks: number[]; firstMessage: number[]; failures: number; elapsedMs: number }

/** Messages the parent receives. */
export type LoadMessage = { type: 'ready'; apiUrl: string } | { type: 'done'; phases: PhaseResult[] };

if (process.send === undefined) throw new Error('bench/chat-load.ts runs as a child of bench/chat.ts');
const send = (message: LoadMessage): void => { process.send?.(message); };
const receive = <T>(): Promise<T> => new Promise((resolve) => process.once('message', (message) => resolve(message as T)));
const settings = await receive<LoadSettings>();

const fake = await startFakeSlack();
send({ type: 'ready', apiUrl: fake.apiUrl });
const { url } = await receive<{ url: string }>();

const sentAt = new Map<string, number>();

async function run(count: number, concurrency: number, prefix: string): Promise<PhaseResult> {
  const acks: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const label = `${prefix}-${next}`;
      next += 1;
      sentAt.set(label, performance.now());
      const result = await postSigned(url, slashCommandBody({ text: label, userId: 'U0BENCH', channelId: 'C0BENCH' }), { secret: settings.secret });
      if (result.status !== 200) failures += 1;
      acks.push(result.ms);
    }
  }));
  const elapsedMs = performance.now() - started;
  // Every command of the phase must reach its thread before the next phase adds load.
  const pattern = new RegExp(`^Upgrade plan: ${prefix}-\\d+$`);
  const deadline = Date.now() + 30_000;
  const posted = () => fake.callsTo('chat.postMessage').filter((call) => pattern.test(String(call.args.text)));
  while (posted().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const firstMessage = posted().map((call) => call.hrAt - (sentAt.get(String(call.args.text).slice('Upgrade plan: '.length)) ?? Number.NaN));
  return { concurrency, acks, firstMessage, failures, elapsedMs };
}

await run(settings.warmup, 1, 'warmup');
const phases: PhaseResult[] = [];
for (const concurrency of settings.concurrency) phases.push(await run(settings.requests, concurrency, `c${concurrency}`));
await fake.close();
send({ type: 'done', phases });
process.disconnect();
