/**
 * Decisions after a gate closed, and the report of an upgrade whose second gate expired, through
 * the real Bolt and discord.js clients against the fakes: a blue-green upgrade skips staging (Bob
 * approves that), then nobody approves the traffic switch in time.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import { BOB, CAROL, DISCORD, D_ERIN, SLACK, startChatStack, type ChatStack } from './chat-stack.js';

const GATE_MS = 8_000;
let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ prefix: 'e2e-chat-late', versions: ['1.2.0', '1.3.0'], gateTimeoutMs: GATE_MS });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

type GateWaiting = Extract<UpgradeEvent, { type: 'gate-waiting' }>;
const ephemeralTo = (user: string, needle: string) => stack.slack.waitForCall('chat.postEphemeral', (call) => call.args['user'] === user && String(call.args['text']).includes(needle), 10_000);

test('a second gate expiring is reported as nobody approving it in time; reactions after their gate closed are audited as late and answered', async () => {
  const posts = stack.slack.callsTo('chat.postMessage').length;
  await stack.slash('upgrade 1.3.0 production --skip-staging', CAROL, 0);
  const root = await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.callsTo('chat.postMessage').indexOf(call) >= posts
    && call.args['thread_ts'] === undefined && call.args['channel'] === SLACK.origin, 30_000);
  const upgradeId = /upgrade (up-[\w-]+)/.exec(JSON.stringify(root.args['blocks']))?.[1] ?? '';
  const rootTs = String(root.response?.['ts']);
  const first = await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-waiting', 30_000) as GateWaiting;
  expect(first.gateId).toBe('skip-staging');
  const firstTs = (await stack.ref(upgradeId, 'slack', SLACK.origin, 'gate:skip-staging')).message;
  await stack.slackReact(BOB, SLACK.origin, firstTs);
  const second = await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-waiting' && event.gateId.endsWith('switch-traffic'), 60_000) as GateWaiting;

  // Bob reacts on the first gate's request again while the traffic gate waits: he was asked about
  // skipping staging, not about switching traffic, so it counts for neither.
  await stack.slackReact(BOB, SLACK.origin, firstTs, '✅');
  const told = await ephemeralTo(BOB, 'Too late');
  expect(String(told.args['text'])).toBe(`Too late: your approval of "${first.title}" (${upgradeId}) did not count, gate already passed.`);
  expect(told.args).toMatchObject({ channel: SLACK.origin, thread_ts: rootTs });
  expect(await stack.runtime().engine.queue.getJobState(upgradeId)).toBe('delayed');

  await expect(stack.waitForEvent(upgradeId, (event) => event.type === 'finished', GATE_MS + 20_000)).resolves.toMatchObject({ outcome: 'expired' });
  const report = await stack.ref(upgradeId, 'slack', SLACK.origin, 'report');
  const shown = () => stack.slackThread(SLACK.origin, rootTs).find((m) => m.id === report.message)?.text ?? '';
  await expect.poll(shown).toContain(`nobody approved "${second.title}" in time`);
  expect(shown()).not.toContain('Bob');
  expect(await stack.sandbox.nginx.readUpstream()).toEqual(['127.0.0.1:18789']);

  // After the end: Erin on the Discord mirror of the traffic gate, Bob on the Slack one.
  const mirrorRoot = await stack.ref(upgradeId, 'discord', DISCORD.approvals, 'plan');
  const mirrorGate = await stack.ref(upgradeId, 'discord', DISCORD.approvals, `gate:${second.gateId}`);
  stack.discordReact(D_ERIN, mirrorRoot.message, mirrorGate.message);
  await expect.poll(() => stack.discordThread(mirrorRoot.message).map((m) => m.text).find((text) => text.includes(`<@${D_ERIN}>`)), { timeout: 10_000 })
    .toBe(`<@${D_ERIN}> Too late: your approval of "${second.title}" (${upgradeId}) did not count, gate already expired.`);
  const secondTs = (await stack.ref(upgradeId, 'slack', SLACK.origin, `gate:${second.gateId}`)).message;
  await stack.slackReact(BOB, SLACK.origin, secondTs, 'x');
  await ephemeralTo(BOB, 'your rejection');

  const record = await stack.runtime().engine.audit.get(upgradeId);
  expect(record?.approvals.filter((a) => a.late === true).map((a) => [a.platform, a.userId, a.decision, a.gateId, a.note, a.counted])).toEqual([
    ['slack', BOB, 'approve', 'skip-staging', 'gate already passed', false],
    ['discord', D_ERIN, 'approve', second.gateId, 'gate already expired', false],
    ['slack', BOB, 'reject', second.gateId, 'gate already expired', false],
  ]);
  expect(record?.approvals.find((a) => a.late === true)?.message).toBe(`slack:${SLACK.origin}:${firstTs}`);
  // Nothing late reached the thread as if it had counted.
  expect(stack.slackThread(SLACK.origin, rootTs).filter((m) => m.text.includes('approved by @Bob on Slack'))).toHaveLength(1);

  // `history` tells the same: the gate that stopped it, and the late decisions.
  const before = stack.slack.callsTo('chat.postMessage').length;
  await stack.slash('history production', CAROL, 0);
  const history = await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.callsTo('chat.postMessage').indexOf(call) >= before && String(call.args['text']).includes('history'), 10_000);
  const line = JSON.stringify(history.args['blocks']).split('\\n').find((text) => text.includes(upgradeId)) ?? '';
  expect(line).toContain(`expired; nobody approved \\"${second.title}\\" in time`);
  expect(line).toContain('late approve by Bob (slack)');
  expect(line).toContain('gate already passed');
  expect(line).toContain('late reject by Bob (slack)');
  await stack.idle();
}, 120_000);
