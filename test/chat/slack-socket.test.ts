import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { createSlackAdapter, type SlackAdapter } from '../../src/chat/slack/index.js';
import type { CommandEvent, ReactionEvent } from '../../src/chat/types.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack/server.js';
import { reactionAddedPayload, slashCommandPayload } from '../fakes/slack/signing.js';

describe('Slack adapter in Socket Mode (real Bolt against a fake Slack)', () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  const commands: CommandEvent[] = [];
  const reactions: ReactionEvent[] = [];

  beforeAll(async () => {
    fake = await startFakeSlack({ usergroups: [{ id: 'S0OPS', handle: 'ops', users: ['U0ALICE'] }] });
    adapter = createSlackAdapter({
      config: { botToken: 'xoxb-test', appToken: 'xapp-test', mode: 'socket', port: 3000 },
      logger: createLogger({ level: 'silent', pretty: false }),
      apiUrl: fake.apiUrl,
    });
    adapter.onCommand(async (event) => {
      commands.push(event);
      await new Promise((r) => setTimeout(r, 4000));
    });
    adapter.onReaction(async (event) => { reactions.push(event); });
    await adapter.start();
  });

  afterAll(async () => {
    await adapter.stop();
    await fake.close();
  });

  it('opens the socket with the app token', async () => {
    const open = await fake.waitForCall('apps.connections.open');
    expect(open.token).toBe('xapp-test');
    expect(fake.socketClients()).toBe(1);
    expect(adapter.url).toBeUndefined();
  });

  it('acks a slash command envelope at once and runs the handler', async () => {
    const ack = await fake.sendEnvelope('slash_commands', slashCommandPayload({ text: 'upgrade latest --dry-run', userId: 'U0ALICE', channelId: 'C0OPS' }));
    expect(ack.envelope_id).toMatch(/^env-/);
    expect(ack.ackMs).toBeLessThan(1000);
    await expect.poll(() => commands.length).toBe(1);
    expect(commands[0]).toMatchObject({ platform: 'slack', userId: 'U0ALICE', text: 'upgrade latest --dry-run', channel: 'C0OPS', groups: ['S0OPS', 'ops'] });
  });

  it('delivers reaction_added from an events_api envelope', async () => {
    const payload = reactionAddedPayload({ user: 'U0BOB', reaction: '+1::skin-tone-3', channel: 'C0OPS', ts: '1767225600.000001' });
    await fake.sendEnvelope('events_api', payload);
    await expect.poll(() => reactions.length).toBe(1);
    expect(reactions[0]).toEqual({ platform: 'slack', userId: 'U0BOB', groups: [], channel: 'C0OPS', message: '1767225600.000001', reaction: '+1', botMessage: true });
  });

  it('posts through the Web API while connected by socket', async () => {
    const ref = await adapter.post({ platform: 'slack', channel: 'C0OPS' }, { text: 'hello from socket mode' });
    const call = await fake.waitForCall('chat.postMessage', (c) => c.args.ts === undefined && c.args.text === 'hello from socket mode');
    expect(call.token).toBe('xoxb-test');
    expect(ref).toEqual({ platform: 'slack', channel: 'C0OPS', thread: ref.message, message: ref.message });
  });
});
