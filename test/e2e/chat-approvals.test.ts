/**
 * Approval rules as people meet them in chat, one rule per test, on real upgrades parked at
 * their first gate (the skip-staging gate stands before any step, so nothing on the hosts
 * changes) and cancelled from Slack afterwards.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import { ALICE, BOB, CAROL, DISCORD, D_ERIN, SLACK, startChatStack, type ChatStack } from './chat-stack.js';

let stack: ChatStack;
let running: string | undefined;

beforeAll(async () => {
  stack = await startChatStack({ prefix: 'e2e-chat-approvals', versions: ['1.2.0', '1.3.0', '1.3.1-breaking'] });
}, 120_000);
afterEach(async () => {
  // Leave the environment free for the next test: cancel what the test left parked.
  if (running !== undefined) {
    await stack.slash(`cancel ${running}`, ALICE);
    await stack.waitForEvent(running, (event) => event.type === 'finished', 30_000);
    running = undefined;
  }
  await stack.idle();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

/** Starts an upgrade from Slack and waits until it parks at its first gate. */
async function parked(text: string, userId: string): Promise<{ upgradeId: string; rootTs: string; gateId: string; gateTs: string }> {
  const posts = stack.slack.callsTo('chat.postMessage').length;
  await stack.slash(text, userId, 0);
  const root = await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.callsTo('chat.postMessage').indexOf(call) >= posts
    && call.args['thread_ts'] === undefined && call.args['channel'] === SLACK.origin, 30_000);
  const upgradeId = /upgrade (up-[\w-]+)/.exec(JSON.stringify(root.args['blocks']))?.[1] ?? '';
  running = upgradeId;
  const waiting = await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-waiting', 30_000) as Extract<UpgradeEvent, { type: 'gate-waiting' }>;
  const gate = await stack.ref(upgradeId, 'slack', SLACK.origin, `gate:${waiting.gateId}`);
  return { upgradeId, rootTs: String(root.response?.['ts']), gateId: waiting.gateId, gateTs: gate.message };
}

/** Resolves after `count` gate-approval events of the upgrade were rendered. */
async function approvalsSeen(upgradeId: string, count: number): Promise<void> {
  let seen = 0;
  await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-approval' && ++seen === count, 10_000);
  await stack.runtime().bot?.flush(upgradeId);
}

const notes = (rootTs: string, needle: string) => stack.slackThread(SLACK.origin, rootTs).filter((m) => m.text.includes(needle));

test('the requester approving their own upgrade is refused, and the thread says why', async () => {
  const { upgradeId, rootTs, gateTs } = await parked('upgrade 1.3.0 production --skip-staging', ALICE);
  await stack.slackReact(ALICE, SLACK.origin, gateTs);
  await approvalsSeen(upgradeId, 1);
  await expect.poll(() => notes(rootTs, 'approved by @Alice on Slack, not counted: you requested this upgrade; someone else must approve it')).toHaveLength(1);
  expect(stack.slackThread(SLACK.origin, rootTs).find((m) => m.id === gateTs)?.text).toMatch(/Approvals\*\n0 of 1/);
  expect(await stack.runtime().engine.queue.getJobCounts('delayed')).toEqual({ delayed: 1 });
}, 60_000);

test('a non-approver is ignored, and the thread says so once however often they react', async () => {
  const { upgradeId, rootTs, gateTs } = await parked('upgrade 1.3.0 production --skip-staging', ALICE);
  await stack.slackReact(CAROL, SLACK.origin, gateTs);
  await stack.slackReact(CAROL, SLACK.origin, gateTs, '✅');
  await stack.slackReact(CAROL, SLACK.origin, rootTs);
  await approvalsSeen(upgradeId, 3);
  await expect.poll(() => notes(rootTs, 'not counted: not an approver for this gate')).toHaveLength(1);
  expect(notes(rootTs, 'approved by @Carol on Slack, not counted')).toHaveLength(1);
  expect(stack.slackThread(SLACK.origin, rootTs).find((m) => m.id === gateTs)?.text).toMatch(/Approvals\*\n0 of 1/);
  // An emoji that is neither approve nor reject is no decision at all.
  await stack.slackReact(BOB, SLACK.origin, gateTs, 'eyes');
  expect(await stack.runtime().engine.queue.getJobCounts('delayed')).toEqual({ delayed: 1 });
}, 60_000);

test('an approval given on a message that showed another plan does not count', async () => {
  const { upgradeId, rootTs, gateTs } = await parked('upgrade 1.3.0 production --skip-staging', ALICE);
  const current = (await stack.runtime().engine.queue.getJob(upgradeId))?.data.plan.hash ?? '';
  // The gate message is bound to the plan it shows.
  await expect.poll(() => stack.threads().bindingOf('slack', SLACK.origin, gateTs)).toMatchObject({ upgradeId, key: 'gate:skip-staging', planHash: current });
  // The plan Bob looked at earlier: a dry run typed in Slack (its own thread, another hash). Its root
  // message is then linked to the real upgrade, the way an announced plan is.
  const posts = stack.slack.callsTo('chat.postMessage').length;
  await stack.slash('upgrade 1.3.0 production --skip-staging --dry-run', ALICE, 0);
  const dryRoot = await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.callsTo('chat.postMessage').indexOf(call) >= posts
    && call.args['thread_ts'] === undefined && String(call.args['text']).includes('dry run'), 30_000);
  const dryTs = String(dryRoot.response?.['ts']);
  await expect.poll(() => stack.threads().bindingOf('slack', SLACK.origin, dryTs)).not.toBeNull();
  const dryBinding = await stack.threads().bindingOf('slack', SLACK.origin, dryTs);
  expect(dryBinding?.planHash).toMatch(/^[0-9a-f]{12,}$/);
  expect(dryBinding?.planHash).not.toBe(current);
  const shown = dryBinding?.planHash ?? '';
  await stack.threads().linkMessage('slack', SLACK.origin, dryTs, upgradeId, shown);

  await stack.slackReact(BOB, SLACK.origin, dryTs);
  await approvalsSeen(upgradeId, 1);
  await expect.poll(() => notes(rootTs, `approved by @Bob on Slack, not counted: the plan changed (approved ${shown}, current ${current})`)).toHaveLength(1);
  expect(await stack.runtime().engine.queue.getJobCounts('delayed')).toEqual({ delayed: 1 });
  expect(stack.slackThread(SLACK.origin, rootTs).find((m) => m.id === gateTs)?.text).toMatch(/Approvals\*\n0 of 1/);
}, 60_000);

test('an upgrade started on Slack is approved on the mirrored Discord message; both threads show who approved where', async () => {
  const { upgradeId, rootTs, gateTs } = await parked('upgrade 1.3.1-breaking staging', ALICE);
  const mirrorRoot = await stack.ref(upgradeId, 'discord', DISCORD.approvals, 'plan');
  const mirrorGate = await stack.ref(upgradeId, 'discord', DISCORD.approvals, 'gate:breaking-change');
  await expect.poll(() => stack.discordThread(mirrorRoot.message).find((m) => m.id === mirrorGate.message)?.text ?? '').toContain('Approval needed');

  stack.discordReact(D_ERIN, mirrorRoot.message, mirrorGate.message);
  await expect(stack.waitForEvent(upgradeId, (event) => event.type === 'finished', 60_000)).resolves.toMatchObject({ outcome: 'succeeded' });
  running = undefined;
  expect(await stack.version('staging')).toBe('1.3.1-breaking');
  await expect.poll(() => notes(rootTs, '✅ approved by @erin on Discord')).toHaveLength(1);
  await expect.poll(() => stack.discordThread(mirrorRoot.message).filter((m) => m.text.includes('✅ approved by @erin on Discord'))).toHaveLength(1);
  await expect.poll(() => stack.slackThread(SLACK.origin, rootTs).find((m) => m.id === gateTs)?.text ?? '').toContain('Approved: ');
  await expect.poll(() => stack.discordThread(mirrorRoot.message).some((m) => m.text.includes('@erin (Discord)') && m.text.includes('Upgrade succeeded'))).toBe(true);
}, 90_000);
