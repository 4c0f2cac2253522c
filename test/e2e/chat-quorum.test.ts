/**
 * Gates that need two people, and gates nobody answers: minApprovers 2 and a short gate
 * deadline (the engine's gateTimeoutMs), on the sandbox hosts through Slack.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import { ALICE, BOB, CAROL, SLACK, startChatStack, type ChatStack } from './chat-stack.js';

const GATE_MS = 6_000;
let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ prefix: 'e2e-chat-quorum', versions: ['1.2.0', '1.3.0', '1.3.1-breaking'], approvals: { minApprovers: 2 }, gateTimeoutMs: GATE_MS });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function parked(text: string, userId: string): Promise<{ upgradeId: string; rootTs: string; gate: Extract<UpgradeEvent, { type: 'gate-waiting' }>; gateTs: string }> {
  const posts = stack.slack.callsTo('chat.postMessage').length;
  await stack.slash(text, userId, 0);
  const root = await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.callsTo('chat.postMessage').indexOf(call) >= posts
    && call.args['thread_ts'] === undefined && call.args['channel'] === SLACK.origin, 30_000);
  const upgradeId = /upgrade (up-[\w-]+)/.exec(JSON.stringify(root.args['blocks']))?.[1] ?? '';
  const gate = await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-waiting', 30_000) as Extract<UpgradeEvent, { type: 'gate-waiting' }>;
  const ref = await stack.ref(upgradeId, 'slack', SLACK.origin, `gate:${gate.gateId}`);
  return { upgradeId, rootTs: String(root.response?.['ts']), gate, gateTs: ref.message };
}

const shown = (rootTs: string, id: string) => stack.slackThread(SLACK.origin, rootTs).find((m) => m.id === id)?.text ?? '';

test('two distinct approvers are needed: the same person twice counts once', async () => {
  const { upgradeId, rootTs, gate, gateTs } = await parked('upgrade 1.3.1-breaking staging', CAROL);
  expect(gate.needed).toBe(2);
  await stack.slackReact(BOB, SLACK.origin, gateTs);
  await stack.slackReact(BOB, SLACK.origin, gateTs, '✅');
  let approvals = 0;
  await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-approval' && ++approvals === 2, 5_000);
  await stack.runtime().bot?.flush(upgradeId);
  await expect.poll(() => shown(rootTs, gateTs)).toMatch(/Approvals\*\n1 of 2/);
  expect(stack.slackThread(SLACK.origin, rootTs).filter((m) => m.text.includes('✅ approved by @Bob on Slack'))).toHaveLength(1);
  expect(await stack.runtime().engine.queue.getJobCounts('delayed')).toEqual({ delayed: 1 });
  expect(await stack.version('staging')).toBe('1.2.0');

  await stack.slackReact(ALICE, SLACK.origin, gateTs);
  await expect(stack.waitForEvent(upgradeId, (event) => event.type === 'finished', 60_000)).resolves.toMatchObject({ outcome: 'succeeded' });
  expect(await stack.version('staging')).toBe('1.3.1-breaking');
  const checklist = await stack.ref(upgradeId, 'slack', SLACK.origin, 'checklist');
  await expect.poll(() => shown(rootTs, checklist.message)).toMatch(/Approved: Breaking changes[^\n]* by @Bob, @Alice/);
}, 60_000);

test('a gate nobody approves in time expires: the upgrade ends "expired" and traffic stays where it was', async () => {
  await stack.idle();
  const started = performance.now();
  const { upgradeId, rootTs, gateTs } = await parked('upgrade 1.3.0 production --skip-staging', CAROL);
  await expect(stack.waitForEvent(upgradeId, (event) => event.type === 'finished', GATE_MS + 20_000)).resolves.toMatchObject({ outcome: 'expired' });
  const waitedMs = performance.now() - started;
  expect(waitedMs).toBeGreaterThanOrEqual(GATE_MS - 500);
  const report = await stack.ref(upgradeId, 'slack', SLACK.origin, 'report');
  await expect.poll(() => shown(rootTs, report.message)).toContain('Upgrade expired');
  expect(shown(rootTs, report.message)).toContain('traffic was left where it was');
  await expect.poll(() => shown(rootTs, gateTs)).toContain('Expired: Skip staging');
  // Untouched: nginx still sends traffic to blue, which still runs 1.2.0; no step ran.
  expect(await stack.sandbox.nginx.readUpstream()).toEqual(['127.0.0.1:18789']);
  expect(await stack.version('production')).toBe('1.2.0');
  const checklist = await stack.ref(upgradeId, 'slack', SLACK.origin, 'checklist');
  expect(shown(rootTs, checklist.message)).toMatch(/\(0\/\d+ done\)/);
  // A late approval no longer counts and changes nothing.
  await stack.slackReact(BOB, SLACK.origin, gateTs);
  await stack.idle();
  process.stdout.write(`[timing] expiry after ${Math.round(waitedMs)} ms (gate ${GATE_MS} ms)\n`);
}, 60_000);

test('the traffic gate expiring after green started leaves traffic on blue and proposes no rollback', async () => {
  await stack.idle();
  const { upgradeId, rootTs, gateTs } = await parked('upgrade 1.3.0 production --skip-staging', CAROL);
  await stack.slackReact(BOB, SLACK.origin, gateTs);
  await stack.slackReact(ALICE, SLACK.origin, gateTs);
  // Green is installed, started and checked; then the switch gate waits and nobody answers.
  const traffic = await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-waiting' && event.gateId.endsWith('switch-traffic'), 60_000);
  expect(traffic).toMatchObject({ type: 'gate-waiting' });
  await expect(stack.waitForEvent(upgradeId, (event) => event.type === 'finished', GATE_MS + 20_000)).resolves.toMatchObject({ outcome: 'expired' });
  const report = await stack.ref(upgradeId, 'slack', SLACK.origin, 'report');
  await expect.poll(() => shown(rootTs, report.message)).toContain('traffic was left where it was');
  expect(stack.slackThread(SLACK.origin, rootTs).some((m) => m.text.includes('Rollback proposed'))).toBe(false);
  expect(await stack.sandbox.nginx.readUpstream()).toEqual(['127.0.0.1:18789']);
  expect(await stack.version('production')).toBe('1.2.0');
  await stack.idle();
}, 90_000);
