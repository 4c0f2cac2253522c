/**
 * Input rules (issue 13) through the real Bolt and discord.js clients against the fakes: text
 * pasted on several lines, empty Discord options, and reactions that do nothing.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ALICE, DISCORD, D_ALICE, SLACK, startChatStack, type ChatStack } from './chat-stack.js';

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
