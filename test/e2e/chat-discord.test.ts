/**
 * Discord end to end: `/openclaw upgrade` as an INTERACTION_CREATE through the real discord.js
 * client, the thread started on the plan summary, and approval by MESSAGE_REACTION_ADD from a
 * member whose role is an approver role.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DISCORD, D_ALICE, D_ERIN, SLACK, startChatStack, type ChatStack } from './chat-stack.js';

let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ prefix: 'e2e-chat-discord', versions: ['1.2.0', '1.3.0', '1.3.1-breaking'] });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

test('a breaking staging upgrade started on Discord waits at its gate and runs after an approver role reacts; the thread shows it all', async () => {
  const started = performance.now();
  stack.discordCommand(D_ALICE, 'upgrade', { version: '1.3.1-breaking', env: 'staging' });
  const rootPost = await stack.discord.waitForCall((call) => call.method === 'POST' && call.path === `/channels/${DISCORD.origin}/messages`, 30_000);
  const rootBody = JSON.stringify(rootPost.body);
  const upgradeId = /upgrade (up-[\w-]+)/.exec(rootBody)?.[1] ?? '';
  expect(upgradeId).toMatch(/^up-/);
  expect(rootBody).toContain('Upgrade plan: staging → 1.3.1-breaking');

  const waiting = await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-waiting', 30_000);
  expect(waiting).toMatchObject({ gateId: 'breaking-change' });
  const root = await stack.ref(upgradeId, 'discord', DISCORD.origin, 'plan');
  const gate = await stack.ref(upgradeId, 'discord', DISCORD.origin, 'gate:breaking-change');
  expect(gate.thread).toBe(root.message);
  await expect.poll(() => stack.discordThread(root.message).find((m) => m.id === gate.message)?.text ?? '').toContain('Approval needed');
  expect(stack.discordThread(root.message).find((m) => m.id === root.message)?.text).toContain('Breaking');
  // Nothing changed on the host while the gate waits.
  expect(await stack.version('staging')).toBe('1.2.0');
  // The requester's own reaction does not release it (self-approval is off).
  stack.discordReact(D_ALICE, root.message, gate.message);
  await expect.poll(() => stack.discordThread(root.message).some((m) => m.text.includes('not counted: you requested this upgrade'))).toBe(true);
  const parkedAt = performance.now();

  stack.discordReact(D_ERIN, root.message, gate.message);
  await expect(stack.waitForEvent(upgradeId, (event) => event.type === 'finished', 60_000)).resolves.toMatchObject({ outcome: 'succeeded' });
  expect(await stack.version('staging')).toBe('1.3.1-breaking');

  const report = await stack.ref(upgradeId, 'discord', DISCORD.origin, 'report');
  const checklist = await stack.ref(upgradeId, 'discord', DISCORD.origin, 'checklist');
  await expect.poll(() => stack.discordThread(root.message).find((m) => m.id === report.message)?.text ?? '').toContain('Upgrade succeeded');
  await expect.poll(() => stack.discordThread(root.message).find((m) => m.id === checklist.message)?.text ?? '').toMatch(/Checklist \((\d+)\/\1 done\)/);
  const thread = stack.discordThread(root.message);
  expect(thread.filter((m) => m.text.includes('✅ approved by @erin on Discord'))).toHaveLength(1);
  expect(thread.find((m) => m.id === report.message)?.text).toContain('@erin (Discord)');
  expect(thread.find((m) => m.id === gate.message)?.text).toContain('Approved: ');
  // The gate was mirrored to Slack's approvals channel, where the approval shows too.
  const mirror = await stack.ref(upgradeId, 'slack', SLACK.approvals, 'plan');
  await expect.poll(() => stack.slackThread(SLACK.approvals, mirror.message).some((m) => m.text.includes('✅ approved by @erin on Discord'))).toBe(true);
  process.stdout.write(`[timing] discord staging upgrade: ${Math.round(parkedAt - started)} ms to the gate, ${Math.round(performance.now() - parkedAt)} ms after it\n`);
}, 90_000);
