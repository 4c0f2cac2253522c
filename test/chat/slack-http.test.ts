import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { createSlackAdapter, type SlackAdapter } from '../../src/chat/slack/index.js';
import type { CommandEvent, ReactionEvent } from '../../src/chat/types.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack/server.js';
import { postSigned, reactionAddedPayload, slashCommandBody } from '../fakes/slack/signing.js';

const SECRET = 'test-signing-secret';

describe('Slack adapter over HTTP (real Bolt against a fake Slack)', () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  let url: string;
  const commands: CommandEvent[] = [];
  const reactions: ReactionEvent[] = [];
  let slowHandler = false;

  beforeAll(async () => {
    fake = await startFakeSlack({ users: { U0ALICE: 'Alice' }, usergroups: [{ id: 'S0OPS', handle: 'ops', users: ['U0ALICE'] }, { id: 'S0DEV', handle: 'dev', users: ['U0BOB'] }] });
    adapter = createSlackAdapter({
      config: { botToken: 'xoxb-test', signingSecret: SECRET, mode: 'http', port: 0 },
      logger: createLogger({ level: 'silent', pretty: false }),
      apiUrl: fake.apiUrl,
      host: '127.0.0.1',
    });
    adapter.onCommand(async (event) => {
      commands.push(event);
      // Work far beyond Slack's 3 s budget must not delay the ack.
      if (slowHandler) await new Promise((r) => setTimeout(r, 4000));
      if (event.text === 'nonsense') await event.replyPrivately('unknown command "nonsense"; try /openclaw help');
    });
    adapter.onReaction(async (event) => { reactions.push(event); });
    await adapter.start();
    url = adapter.url ?? '';
  });

  afterAll(async () => {
    await adapter.stop();
    await fake.close();
  });

  it('verifies the bot token with auth.test on start', () => {
    expect(fake.callsTo('auth.test')[0]?.token).toBe('xoxb-test');
  });

  it('acks a signed slash command at once and hands it to the handler with the user groups', async () => {
    slowHandler = true;
    try {
      const result = await postSigned(url, slashCommandBody({ text: 'upgrade 2026.9.6 --env production', userId: 'U0ALICE', channelId: 'C0OPS' }), { secret: SECRET });
      expect(result.status).toBe(200);
      expect(result.ms).toBeLessThan(1000);
      await expect.poll(() => commands.length).toBe(1);
      expect(commands[0]).toMatchObject({ platform: 'slack', userId: 'U0ALICE', userName: 'alice', channel: 'C0OPS', text: 'upgrade 2026.9.6 --env production', groups: ['S0OPS', 'ops'] });
    } finally {
      slowHandler = false;
    }
  });

  it('caches user groups instead of listing them per command', async () => {
    const before = fake.callsTo('usergroups.list').length;
    await postSigned(url, slashCommandBody({ text: 'status', userId: 'U0BOB' }), { secret: SECRET });
    await expect.poll(() => commands.some((c) => c.userId === 'U0BOB')).toBe(true);
    expect(commands.find((c) => c.userId === 'U0BOB')?.groups).toEqual(['S0DEV', 'dev']);
    expect(fake.callsTo('usergroups.list').length - before).toBe(0);
    expect(fake.callsTo('usergroups.list')[0]?.args.include_users).toBe('true');
  });

  it('rejects a bad signature with 401 and never calls the handler', async () => {
    const count = commands.length;
    const result = await postSigned(url, slashCommandBody({ text: 'upgrade 1.0.0' }), { secret: 'wrong-secret' });
    expect(result.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(commands.length).toBe(count);
  });

  it('rejects a stale timestamp (over 5 minutes old)', async () => {
    const result = await postSigned(url, slashCommandBody({ text: 'status' }), { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(result.status).toBe(401);
  });

  it('rejects a correctly signed request whose timestamp is over 5 minutes in the future', async () => {
    const count = commands.length;
    const result = await postSigned(url, slashCommandBody({ text: 'status' }), { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) + 6 * 60 });
    expect(result.status).toBe(401);
    const nearFuture = await postSigned(url, slashCommandBody({ text: 'status' }), { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) + 60 });
    expect(nearFuture.status).toBe(200);
    await expect.poll(() => commands.length).toBe(count + 1);
  });

  it('answers bad input privately through the command response_url', async () => {
    const responseUrl = fake.responseUrl();
    await postSigned(url, slashCommandBody({ text: 'nonsense', responseUrl }), { secret: SECRET });
    const reply = await fake.waitForCall('response_url', (call) => call.args.path === new URL(responseUrl).pathname);
    expect(reply.args).toMatchObject({ response_type: 'ephemeral', text: 'unknown command "nonsense"; try /openclaw help' });
  });

  it('falls back to chat.postEphemeral when there is no response_url', async () => {
    const event = commands[0];
    if (event === undefined) throw new Error('no command seen');
    const body = slashCommandBody({ text: 'nonsense', userId: 'U0CAROL', channelId: 'C0OPS', responseUrl: '' });
    await postSigned(url, body, { secret: SECRET });
    const call = await fake.waitForCall('chat.postEphemeral', (c) => c.args.user === 'U0CAROL');
    expect(call.args).toMatchObject({ channel: 'C0OPS', text: 'unknown command "nonsense"; try /openclaw help' });
  });

  it('posts a thread root, replies in the thread, updates in place, with Block Kit', async () => {
    const root = await adapter.post({ platform: 'slack', channel: 'C0OPS' }, {
      title: 'Upgrade plan: production → 2026.9.6', text: 'a <b> & c', fields: [{ label: 'Strategy', value: 'pm2' }], context: ['upgrade up-1'],
    });
    expect(root.thread).toBe(root.message);
    const rootCall = await fake.waitForCall('chat.postMessage', (c) => c.args.text === 'Upgrade plan: production → 2026.9.6: a <b> & c');
    expect(rootCall.args.thread_ts).toBeUndefined();
    expect(rootCall.args.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'Upgrade plan: production → 2026.9.6', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: 'a &lt;b&gt; &amp; c' } },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Strategy*\npm2' }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'upgrade up-1' }] },
    ]);

    const checklist = await adapter.post(root, { title: 'Checklist (0/2 done)', text: 'Checklist', lines: ['⏳ host-a: backup (running)', '⬜ host-a: install'] });
    expect(checklist.thread).toBe(root.message);
    const reply = await fake.waitForCall('chat.postMessage', (c) => c.args.thread_ts === root.message);
    expect(reply.args.blocks).toContainEqual({ type: 'section', text: { type: 'mrkdwn', text: '⏳ host-a: backup (running)\n⬜ host-a: install' } });

    await adapter.update(checklist, { title: 'Checklist (1/2 done)', text: 'Checklist', lines: ['✅ host-a: backup (2.9 s)', '⏳ host-a: install (running)'] });
    const update = await fake.waitForCall('chat.update', (c) => c.args.ts === checklist.message);
    expect(update.args.channel).toBe('C0OPS');
    expect(update.args.blocks).toContainEqual({ type: 'section', text: { type: 'mrkdwn', text: '✅ host-a: backup (2.9 s)\n⏳ host-a: install (running)' } });
  });

  it('adds the approval reactions to an approval request', async () => {
    const ref = await adapter.post({ platform: 'slack', channel: 'C0OPS', thread: '1.1' }, { title: '🔐 Approval needed', text: 'react', reactions: ['✅', '❌'] });
    await expect.poll(() => fake.callsTo('reactions.add').filter((c) => c.args.timestamp === ref.message).map((c) => c.args.name)).toEqual(['white_check_mark', 'x']);
  });

  it('turns a signed reaction_added event into a ReactionEvent, ignoring the bot itself', async () => {
    const event = (user: string) => JSON.stringify(reactionAddedPayload({ user, reaction: 'white_check_mark', channel: 'C0OPS', ts: '1767225600.000009' }));
    const own = await postSigned(url, event('U0BOT'), { secret: SECRET, contentType: 'application/json' });
    expect(own.status).toBe(200);
    const result = await postSigned(url, event('U0ALICE'), { secret: SECRET, contentType: 'application/json' });
    expect(result.status).toBe(200);
    await expect.poll(() => reactions.length).toBe(1);
    expect(reactions[0]).toEqual({ platform: 'slack', userId: 'U0ALICE', userName: 'Alice', groups: ['S0OPS', 'ops'], channel: 'C0OPS', message: '1767225600.000009', reaction: 'white_check_mark', botMessage: true });
  });

  it('listens on chat.slack.host', async () => {
    const local = createSlackAdapter({ config: { botToken: 'xoxb-3', signingSecret: SECRET, mode: 'http', port: 0, host: '127.0.0.1' }, logger: createLogger({ level: 'silent', pretty: false }), apiUrl: fake.apiUrl });
    try {
      await local.start();
      expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/slack\/events$/);
    } finally {
      await local.stop();
    }
  });

  it('reports a failed Web API call as a ClawopsError', async () => {
    const failing = await startFakeSlack({ failures: { 'chat.postMessage': 'channel_not_found' } });
    const other = createSlackAdapter({ config: { botToken: 'xoxb-2', signingSecret: SECRET, mode: 'http', port: 0 }, logger: createLogger({ level: 'silent', pretty: false }), apiUrl: failing.apiUrl, host: '127.0.0.1' });
    try {
      await other.start();
      await expect(other.post({ platform: 'slack', channel: 'C0NOPE' }, { text: 'x' })).rejects.toMatchObject({ name: 'ClawopsError', message: 'Slack chat.postMessage failed: channel_not_found' });
    } finally {
      await other.stop();
      await failing.close();
    }
  });
});
