/**
 * A failed upgrade that proposes a rollback: the bot plans the rollback on its own, says so in
 * the failed upgrade's thread, and the rollback waits at its own gate in its own thread until
 * someone approves it there.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ALICE, BOB, SLACK, startChatStack, type ChatStack } from './chat-stack.js';

let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ prefix: 'e2e-chat-rollback', readySeconds: 3 });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

test('a never-ready staging upgrade fails; the bot plans the rollback, which runs after approval in its own thread', async () => {
  const started = performance.now();
  const posts = stack.slack.callsTo('chat.postMessage').length;
  await stack.slash('upgrade 1.3.1-neverready staging', ALICE, 0);
  const root = await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.callsTo('chat.postMessage').indexOf(call) >= posts
    && call.args['thread_ts'] === undefined && call.args['channel'] === SLACK.origin, 30_000);
  const rootTs = String(root.response?.['ts']);
  const upgradeId = /upgrade (up-[\w-]+)/.exec(JSON.stringify(root.args['blocks']))?.[1] ?? '';
  await expect(stack.waitForEvent(upgradeId, (event) => event.type === 'finished', 60_000)).resolves.toMatchObject({ outcome: 'failed' });

  // The failed thread says a rollback was planned, and names it.
  await expect.poll(() => stack.slackThread(SLACK.origin, rootTs).some((m) => m.text.includes('Rollback planned as')), { timeout: 15_000 }).toBe(true);
  const note = stack.slackThread(SLACK.origin, rootTs).find((m) => m.text.includes('Rollback planned as'))?.text ?? '';
  const rollbackId = /Rollback planned as (up-[\w-]+)/.exec(note)?.[1] ?? '';
  expect(rollbackId).not.toBe(upgradeId);
  expect(stack.slackThread(SLACK.origin, rootTs).some((m) => m.text.includes('Rollback proposed'))).toBe(true);

  const waiting = await stack.waitForEvent(rollbackId, (event) => event.type === 'gate-waiting', 30_000);
  expect(waiting).toMatchObject({ gateId: 'rollback' });
  const rollbackRoot = await stack.ref(rollbackId, 'slack', SLACK.origin, 'plan');
  const gate = await stack.ref(rollbackId, 'slack', SLACK.origin, 'gate:rollback');
  expect(rollbackRoot.message).not.toBe(rootTs);
  await expect.poll(() => stack.slackThread(SLACK.origin, rollbackRoot.message).find((m) => m.id === rollbackRoot.message)?.text ?? '').toContain('Rollback plan: staging → 1.2.0');

  await stack.slackReact(BOB, SLACK.origin, gate.message);
  await expect(stack.waitForEvent(rollbackId, (event) => event.type === 'finished', 60_000)).resolves.toMatchObject({ outcome: 'succeeded' });
  expect(await stack.version('staging')).toBe('1.2.0');
  const report = await stack.ref(rollbackId, 'slack', SLACK.origin, 'report');
  await expect.poll(() => stack.slackThread(SLACK.origin, rollbackRoot.message).find((m) => m.id === report.message)?.text ?? '').toContain('succeeded');
  // Exactly one rollback was planned.
  expect(stack.slack.callsTo('chat.postMessage').filter((call) => String(call.args['text']).includes('Rollback planned as'))).toHaveLength(1);
  process.stdout.write(`[timing] failed upgrade + automatic rollback: ${Math.round(performance.now() - started)} ms\n`);
}, 120_000);
