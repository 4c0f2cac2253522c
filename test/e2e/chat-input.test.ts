/**
 * Input rules (issue 13) through the real Bolt and discord.js clients against the fakes: text
 * pasted on several lines, empty Discord options, and reactions that do nothing.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ALICE, BOB, DISCORD, D_ALICE, D_ERIN, SLACK, startChatStack, type ChatStack } from './chat-stack.js';

let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ prefix: 'e2e-chat-input', versions: ['1.2.0', '1.3.0'] });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

const jobs = async () => Object.values(await stack.runtime().engine.queue.getJobCounts()).reduce((sum, count) => sum + count, 0);

test('an upgrade pasted on two lines in Slack is refused privately, quoting what came; nothing starts', async () => {
  const posts = stack.slack.callsTo('chat.postMessage').length;
  const before = await jobs();
  const reply = await stack.slash('upgrade 1.3.0\nproduction', ALICE);
  expect(reply).toContain('the command came on 2 lines ("upgrade 1.3.0 ⏎ production"); a command that changes something must be on one line, so nothing was done: send it again on one line');
  // A reading command on two lines still answers.
  await stack.slash('version\nproduction', ALICE, 0);
  await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.callsTo('chat.postMessage').indexOf(call) >= posts && call.args['channel'] === SLACK.origin, 10_000);
  expect(stack.slack.callsTo('chat.postMessage').filter((call) => String(call.args['text']).includes('Upgrade plan'))).toEqual([]);
  expect(await jobs()).toBe(before);
  expect(await stack.version('production')).toBe('1.2.0');
}, 30_000);

test('an empty Discord option is refused by its name, not read as "no env" or shifted into the version', async () => {
  const before = await jobs();
  const posts = stack.discord.calls.filter((call) => call.method === 'POST' && call.path === `/channels/${DISCORD.origin}/messages`).length;
  const reply = async (options: Record<string, string>) => {
    const interaction = stack.discord.dispatchCommand({ subcommand: 'upgrade', options, userId: D_ALICE, channelId: DISCORD.origin });
    await expect.poll(() => interaction.original?.['content'], { timeout: 10_000 }).toBeDefined();
    return String(interaction.original?.['content']);
  };
  expect(await reply({ version: '1.3.0', env: '' })).toBe('the option `env` is empty: give it a value, or leave the option out. Nothing was done.');
  expect(await reply({ version: '', env: 'production' })).toBe('the option `version` is empty: give it a value, or leave the option out. Nothing was done.');
  expect(await reply({ version: '1.3.0', env: '""' })).toContain('the option `env` is empty');
  expect(stack.discord.calls.filter((call) => call.method === 'POST' && call.path === `/channels/${DISCORD.origin}/messages`)).toHaveLength(posts);
  expect(await jobs()).toBe(before);
}, 30_000);

test('a reaction on a bot message that does nothing is answered privately; the gate keeps waiting', async () => {
  const posts = stack.slack.callsTo('chat.postMessage').length;
  await stack.slash('upgrade 1.3.0 production --skip-staging', ALICE, 0);
  const root = await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.callsTo('chat.postMessage').indexOf(call) >= posts
    && call.args['thread_ts'] === undefined && call.args['channel'] === SLACK.origin && String(call.args['text']).includes('Upgrade plan'), 30_000);
  const upgradeId = /upgrade (up-[\w-]+)/.exec(JSON.stringify(root.args['blocks']))?.[1] ?? '';
  const rootTs = String(root.response?.['ts']);
  await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-waiting', 30_000);
  const gate = await stack.ref(upgradeId, 'slack', SLACK.origin, 'gate:skip-staging');
  const told = (needle: string) => stack.slack.waitForCall('chat.postEphemeral', (call) => call.args['user'] === BOB && String(call.args['text']).includes(needle), 10_000);

  await stack.slackReact(BOB, SLACK.origin, gate.message, '+1');
  expect((await told(':+1: does nothing here')).args).toMatchObject({ text: ':+1: does nothing here: react ✅ to approve or ❌ to reject.', channel: SLACK.origin, thread_ts: rootTs });
  // ✅ on the checklist only shows progress: it does not release the gate.
  const checklist = await stack.ref(upgradeId, 'slack', SLACK.origin, 'checklist');
  await stack.slackReact(BOB, SLACK.origin, checklist.message, '✅');
  expect(String((await told('✅ does nothing here')).args['text'])).toBe('✅ does nothing here: approvals are given on an upgrade\'s plan or approval request (✅ approves, ❌ rejects).');
  // ✅ on an answer the bot posted outside any upgrade.
  const before = stack.slack.callsTo('chat.postMessage').length;
  await stack.slash('version staging', ALICE, 0);
  const answer = await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.callsTo('chat.postMessage').indexOf(call) >= before && call.args['channel'] === SLACK.origin, 10_000);
  const ephemerals = stack.slack.callsTo('chat.postEphemeral').length;
  await stack.slackReact(BOB, SLACK.origin, String(answer.response?.['ts']), 'white_check_mark');
  await expect.poll(() => stack.slack.callsTo('chat.postEphemeral').slice(ephemerals).map((call) => String(call.args['text']))).toEqual([
    ':white_check_mark: does nothing here: approvals are given on an upgrade\'s plan or approval request (✅ approves, ❌ rejects).',
  ]);
  expect(await stack.runtime().engine.queue.getJobState(upgradeId)).toBe('delayed');

  // Discord has no private answer to a reaction: a thread message that mentions the person.
  const mirrorRoot = await stack.ref(upgradeId, 'discord', DISCORD.approvals, 'plan');
  const mirrorGate = await stack.ref(upgradeId, 'discord', DISCORD.approvals, 'gate:skip-staging');
  stack.discordReact(D_ERIN, mirrorRoot.message, mirrorGate.message, '👍');
  await expect.poll(() => stack.discordThread(mirrorRoot.message).map((m) => m.text).find((text) => text.includes(`<@${D_ERIN}>`)), { timeout: 10_000 })
    .toBe(`<@${D_ERIN}> 👍 does nothing here: react ✅ to approve or ❌ to reject.`);

  // ✅ on the plan message approves, as the README says.
  await stack.slackReact(BOB, SLACK.origin, rootTs, 'white_check_mark');
  await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-passed' && event.gateId === 'skip-staging', 30_000);
  await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-waiting' && event.gateId !== 'skip-staging', 60_000);
  await stack.slackReact(BOB, SLACK.origin, rootTs, 'x');
  await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-rejected', 30_000);
  await stack.waitForEvent(upgradeId, (event) => event.type === 'finished', 60_000);
  expect(await stack.version('production')).toBe('1.2.0');
  await stack.idle();
}, 120_000);
