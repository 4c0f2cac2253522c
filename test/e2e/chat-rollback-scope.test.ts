/**
 * Rollbacks cover what the upgrade touched, and refuse what they cannot do, as a user meets them
 * in chat on the sandbox fleet (staging-1 under PM2 goes first; prod-1 is blue-green).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import { ALICE, BOB, SLACK, startChatStack, type ChatStack } from './chat-stack.js';

let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ prefix: 'e2e-chat-rollback-scope', readySeconds: 3 });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

/** Starts an upgrade or rollback from Slack: its id and thread root. */
async function started(text: string): Promise<{ upgradeId: string; rootTs: string }> {
  const posts = stack.slack.callsTo('chat.postMessage').length;
  await stack.slash(text, ALICE, 0);
  const root = await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.callsTo('chat.postMessage').indexOf(call) >= posts
    && call.args['thread_ts'] === undefined && call.args['channel'] === SLACK.origin, 30_000);
  const upgradeId = /upgrade (up-[\w-]+)/.exec(JSON.stringify(root.args['blocks']))?.[1] ?? '';
  return { upgradeId, rootTs: String(root.response?.['ts']) };
}

let failedUpgrade = '';

test('an upgrade of production that fails on staging: the bot plans the rollback of staging, which brings staging back', async () => {
  const { upgradeId, rootTs } = await started('upgrade 1.3.1-neverready production');
  failedUpgrade = upgradeId;
  await expect(stack.waitForEvent(upgradeId, (event) => event.type === 'finished', 60_000)).resolves.toMatchObject({ outcome: 'failed' });
  await expect.poll(() => stack.slackThread(SLACK.origin, rootTs).some((m) => m.text.includes('Rollback planned as')), { timeout: 15_000 }).toBe(true);
  const note = stack.slackThread(SLACK.origin, rootTs).find((m) => m.text.includes('Rollback planned as'))?.text ?? '';
  expect(note).toContain('for staging-1 (staging)');
  const rollbackId = /Rollback planned as (up-[\w-]+)/.exec(note)?.[1] ?? '';
  const plan = await stack.waitForEvent(rollbackId, (event) => event.type === 'plan') as Extract<UpgradeEvent, { type: 'plan' }>;
  expect(plan.plan).toMatchObject({ kind: 'rollback', environment: 'staging', toVersion: '1.2.0', fromVersions: { 'staging-1': '1.3.1-neverready' } });
  await stack.waitForEvent(rollbackId, (event) => event.type === 'gate-waiting', 30_000);
  const gate = await stack.ref(rollbackId, 'slack', SLACK.origin, 'gate:rollback');
  await stack.slackReact(BOB, SLACK.origin, gate.message);
  await expect(stack.waitForEvent(rollbackId, (event) => event.type === 'finished', 60_000)).resolves.toMatchObject({ outcome: 'succeeded' });
  expect(await stack.version('staging')).toBe('1.2.0');
  await stack.idle();
}, 150_000);

test('rollback --to a version that is not older is refused, pointing at upgrade; nothing is planned', async () => {
  const reply = await stack.slash('rollback production --to 1.3.0', ALICE);
  expect(reply).toBe('1.3.0 is not older than what prod-1 runs (1.2.0): a rollback only goes back; to move forward use /openclaw upgrade 1.3.0 production');
  const unknown = await stack.slash('rollback staging --to 1.1.9', ALICE);
  expect(unknown).toContain('openclaw 1.1.9 is neither published by the hosts\' registry nor installed');
}, 60_000);

test('backup list shows the id --from-backup takes; an unknown id is refused before any approval, naming the ids there', async () => {
  const posts = stack.slack.callsTo('chat.postMessage').length;
  await stack.slash('backup list staging', ALICE, 0);
  const listed = await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.callsTo('chat.postMessage').indexOf(call) >= posts
    && JSON.stringify(call.args).includes('Backups (list)'), 30_000);
  expect(JSON.stringify(listed.args)).toMatch(new RegExp(`staging-1: 1 backup\\(s\\), newest first: ${failedUpgrade} \\(\\d+(\\.\\d)? (B|kB|MB), \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\)`));
  const reply = await stack.slash('rollback staging --from-backup nope', ALICE);
  expect(reply).toBe(`cannot restore backup "nope": staging-1 has no backup "nope" (ids there: ${failedUpgrade}). /openclaw backup list shows the ids`);
}, 60_000);

test('staging passed and production was upgraded: rollback production --with-staging brings both back, each host on its own path', async () => {
  const { upgradeId } = await started('upgrade 1.3.0 production');
  const waiting = await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-waiting' && event.gateId.endsWith('switch-traffic'), 90_000) as Extract<UpgradeEvent, { type: 'gate-waiting' }>;
  await stack.slackReact(BOB, SLACK.origin, (await stack.ref(upgradeId, 'slack', SLACK.origin, `gate:${waiting.gateId}`)).message);
  await expect(stack.waitForEvent(upgradeId, (event) => event.type === 'finished', 90_000)).resolves.toMatchObject({ outcome: 'succeeded' });
  expect([await stack.version('staging'), await stack.version('production')]).toEqual(['1.3.0', '1.3.0']);
  await stack.idle();

  const { upgradeId: rollbackId } = await started('rollback production --with-staging');
  const plan = await stack.waitForEvent(rollbackId, (event) => event.type === 'plan') as Extract<UpgradeEvent, { type: 'plan' }>;
  expect(plan.plan).toMatchObject({ kind: 'rollback', environment: 'production', toVersion: '1.2.0', fromVersions: { 'staging-1': '1.3.0', 'prod-1': '1.3.0' } });
  const title = plan.plan.gates.find((gate) => gate.id === 'rollback')?.title ?? '';
  // 1.3.0 migrated the double's state: 1.2.0 cannot read staging-1's, so it restores; prod-1's old color kept its own state.
  expect(title).toMatch(/staging-1: 1\.2\.0 cannot read the state 1\.3\.0 migrated \(incompatible: .*\): restore backup up-[\w-]+$/);
  expect(title).toContain('prod-1: blue-green: traffic goes back to the old color');
  await stack.waitForEvent(rollbackId, (event) => event.type === 'gate-waiting', 30_000);
  await stack.slackReact(BOB, SLACK.origin, (await stack.ref(rollbackId, 'slack', SLACK.origin, 'gate:rollback')).message);
  await expect(stack.waitForEvent(rollbackId, (event) => event.type === 'finished', 90_000)).resolves.toMatchObject({ outcome: 'succeeded' });
  expect([await stack.version('staging'), await stack.version('production')]).toEqual(['1.2.0', '1.2.0']);
  await stack.idle();
}, 240_000);

test('a production traffic gate rejected after staging switched proposes nothing: production never moved', async () => {
  const { upgradeId, rootTs } = await started('upgrade 1.3.0 production');
  const waiting = await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-waiting' && event.gateId.endsWith('switch-traffic'), 90_000) as Extract<UpgradeEvent, { type: 'gate-waiting' }>;
  const gate = await stack.ref(upgradeId, 'slack', SLACK.origin, `gate:${waiting.gateId}`);
  await stack.slackReact(BOB, SLACK.origin, gate.message, 'x');
  await expect(stack.waitForEvent(upgradeId, (event) => event.type === 'finished', 30_000)).resolves.toMatchObject({ outcome: 'cancelled' });
  await stack.runtime().bot?.flush(upgradeId);
  const events: UpgradeEvent[] = [];
  await stack.waitForEvent(upgradeId, (event) => { events.push(event); return event.type === 'finished'; });
  expect(events.filter((event) => event.type === 'rollback-proposed')).toEqual([]);
  expect(stack.slackThread(SLACK.origin, rootTs).some((m) => /Rollback (proposed|planned)/.test(m.text))).toBe(false);
  expect(await stack.version('staging')).toBe('1.3.0');
  expect(await stack.version('production')).toBe('1.2.0');
}, 150_000);
