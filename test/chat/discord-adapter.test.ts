import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiscordAdapter } from '../../src/chat/discord/adapter.js';
import type { ChatAdapter, CommandEvent, ReactionEvent } from '../../src/chat/types.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';

const logger = pino({ level: 'silent' });

describe('Discord adapter through the real discord.js Client', () => {
  let fake: FakeDiscord;
  let adapter: ChatAdapter;
  const commands: CommandEvent[] = [];
  const reactions: ReactionEvent[] = [];
  let commandWaiters: Array<(event: CommandEvent) => void> = [];
  let reactionWaiters: Array<(event: ReactionEvent) => void> = [];
  /** What the command handler does with each event; tests swap it. */
  let onCommand: (event: CommandEvent) => Promise<void> = async () => {};

  const within = <T>(what: string, wait: (resolve: (value: T) => void) => void) => new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within 3 s`)), 3000);
    wait((value) => { clearTimeout(timer); resolve(value); });
  });
  const nextCommand = () => within<CommandEvent>('command', (resolve) => commandWaiters.push(resolve));
  const nextReaction = () => within<ReactionEvent>('reaction', (resolve) => reactionWaiters.push(resolve));

  beforeAll(async () => {
    // A deadline shorter than Discord's 3 s, so a slow handler is seen to be acknowledged in time.
    fake = await startFakeDiscord({ heartbeatIntervalMs: 300, interactionDeadlineMs: 1000 });
    adapter = createDiscordAdapter({
      config: { token: fake.token, applicationId: fake.applicationId, guildId: fake.guild.id },
      logger,
      apiUrl: fake.apiUrl,
      readyTimeoutMs: 10_000,
    });
    adapter.onCommand(async (event) => {
      commands.push(event);
      const waiters = commandWaiters;
      commandWaiters = [];
      for (const waiter of waiters) waiter(event);
      await onCommand(event);
    });
    adapter.onReaction(async (event) => {
      reactions.push(event);
      const waiters = reactionWaiters;
      reactionWaiters = [];
      for (const waiter of waiters) waiter(event);
    });
    await adapter.start();
  });

  afterAll(async () => {
    await adapter.stop();
    await fake.close();
  });

  it('logs in over the fake gateway with the bot token and the intents reactions need', async () => {
    const identify = fake.gateway.identifies[0];
    expect(identify?.['token']).toBe(fake.token);
    // Guilds (1) | GuildMessageReactions (1 << 10)
    expect(Number(identify?.['intents']) & 1).toBe(1);
    expect(Number(identify?.['intents']) & (1 << 10)).toBe(1 << 10);
    const gatewayCall = fake.calls.find((call) => call.path === '/gateway/bot');
    expect(gatewayCall?.authorization).toBe(`Bot ${fake.token}`);
  });

  it('stays connected across heartbeats (the fake ACKs them)', async () => {
    const before = fake.gateway.heartbeats;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(fake.gateway.heartbeats).toBeGreaterThan(before);
    expect(fake.gateway.identifies).toHaveLength(1);
  });

  const cases: Array<{ subcommand: string; options: Record<string, string | boolean>; text: string }> = [
    { subcommand: 'upgrade', options: { version: '1.3.0', env: 'production', 'dry-run': true }, text: 'upgrade 1.3.0 production --dry-run' },
    {
      subcommand: 'upgrade',
      options: { version: '2026.9.6', strategy: 'blue-green', hosts: 'a,b', at: '2026-12-01 03:00 Europe/Berlin', 'skip-staging': true, 'dry-run': false },
      text: "upgrade 2026.9.6 --strategy blue-green --hosts a,b --at '2026-12-01 03:00 Europe/Berlin' --skip-staging",
    },
    { subcommand: 'rollback', options: { env: 'staging', to: '2026.9.5' }, text: 'rollback staging --to 2026.9.5' },
    { subcommand: 'changelog', options: { from: '2026.9.5', to: '2026.9.6' }, text: 'changelog 2026.9.5 2026.9.6' },
    { subcommand: 'schedule', options: { action: 'cancel', id: '42' }, text: 'schedule cancel 42' },
    { subcommand: 'status', options: {}, text: 'status' },
  ];

  for (const { subcommand, options, text } of cases) {
    it(`/openclaw ${subcommand} reaches the handler as "${text}" and is answered within 3 s`, async () => {
      const received = nextCommand();
      const interaction = fake.dispatchCommand({ subcommand, options, userId: fake.guild.members[0]?.id ?? '' });
      const event = await received;
      expect(event.text).toBe(text);
      expect(event.platform).toBe('discord');
      expect(event.userId).toBe(fake.guild.members[0]?.id);
      expect(event.userName).toBe('alice');
      expect(event.channel).toBe(interaction.channelId);
      expect(new Set(event.groups)).toEqual(new Set(fake.guild.members[0]?.roles));
      await fake.waitForCall((call) => call.path === `/interactions/${interaction.id}/${interaction.token}/callback`);
      expect(interaction.callback).toBeDefined();
      expect((interaction.callback?.at ?? Infinity) - interaction.sentAt).toBeLessThan(3000);
    });
  }

  it('replyPrivately answers with an ephemeral message (flag 64) only the sender sees', async () => {
    onCommand = async (event) => {
      await event.replyPrivately('environment `moon` is not configured');
      await event.replyPrivately('second note');
    };
    try {
      const interaction = fake.dispatchCommand({ subcommand: 'version', options: { env: 'moon' }, userId: fake.guild.members[1]?.id ?? '' });
      await fake.waitForCall((call) => call.method === 'POST' && call.path === `/webhooks/${fake.applicationId}/${interaction.token}`);
      expect(interaction.callback?.type).toBe(5);
      expect(Number(interaction.callback?.data['flags']) & 64).toBe(64);
      expect(interaction.original?.['content']).toBe('environment `moon` is not configured');
      expect(Number(interaction.original?.['flags']) & 64).toBe(64);
      expect(interaction.followUps.map((message) => message['content'])).toEqual(['second note']);
      expect(Number(interaction.followUps[0]?.['flags']) & 64).toBe(64);
      expect(commands.at(-1)?.groups).toEqual([]);
    } finally {
      onCommand = async () => {};
    }
  });

  it('a handler slower than the deadline: the interaction is acknowledged first, the reply follows', async () => {
    onCommand = async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 1200));
      await event.replyPrivately('plan ready');
    };
    try {
      const interaction = fake.dispatchCommand({ subcommand: 'check', userId: fake.guild.members[0]?.id ?? '' });
      const edit = await fake.waitForCall((call) => call.method === 'PATCH' && call.path === `/webhooks/${fake.applicationId}/${interaction.token}/messages/@original`);
      const callback = fake.calls.find((call) => call.path === `/interactions/${interaction.id}/${interaction.token}/callback`);
      expect(callback?.status).toBe(204);
      expect(edit.status).toBe(200);
      expect(edit.at - interaction.sentAt).toBeGreaterThanOrEqual(1200);
      expect(interaction.original?.['content']).toBe('plan ready');
    } finally {
      onCommand = async () => {};
    }
  });

  it('a handler that fails still answers the user privately, without internals', async () => {
    onCommand = async () => { throw new Error('redis exploded: secret-host:6379'); };
    try {
      const interaction = fake.dispatchCommand({ subcommand: 'status', userId: fake.guild.members[0]?.id ?? '' });
      await fake.waitForCall((call) => call.method === 'PATCH' && call.path === `/webhooks/${fake.applicationId}/${interaction.token}/messages/@original`);
      const content = String(interaction.original?.['content']);
      expect(content).toMatch(/went wrong/);
      expect(content).not.toContain('secret-host');
    } finally {
      onCommand = async () => {};
    }
  });

  it('post creates an embed message; posting into it starts one thread; update edits in place', async () => {
    const channel = fake.guild.channels[0]?.id ?? '';
    const root = await adapter.post({ platform: 'discord', channel }, {
      title: 'Upgrade 2026.9.6 → production', text: 'alice asked for an upgrade', lines: ['host-a: pm2', 'host-b: pm2'],
      fields: [{ label: 'Strategy', value: 'blue-green' }], tone: 'info', context: ['plan abc123'],
    });
    expect(root.message).toBe(root.thread);
    const created = fake.state.messages.get(root.message);
    const embed = (created?.['embeds'] as Array<Record<string, unknown>>)[0];
    expect(embed?.['title']).toBe('Upgrade 2026.9.6 → production');
    expect(embed?.['description']).toBe('alice asked for an upgrade\nhost-a: pm2\nhost-b: pm2');
    expect(embed?.['fields']).toEqual([{ name: 'Strategy', value: 'blue-green', inline: false }]);
    expect(embed?.['color']).toBe(0x5865f2);
    expect(embed?.['footer']).toEqual({ text: 'plan abc123' });

    const step = await adapter.post(root, { text: 'Backup created', tone: 'success' });
    const step2 = await adapter.post(root, { text: 'Installing 2026.9.6', tone: 'warning' });
    const threadStarts = fake.calls.filter((call) => call.method === 'POST' && call.path === `/channels/${channel}/messages/${root.message}/threads`);
    expect(threadStarts).toHaveLength(1);
    expect((threadStarts[0]?.body as Record<string, unknown>)['name']).toBe('Upgrade 2026.9.6 → production');
    // The thread has the root message's id; both posts went into it.
    expect(fake.state.messages.get(step.message)?.['channel_id']).toBe(root.message);
    expect(fake.state.messages.get(step2.message)?.['channel_id']).toBe(root.message);
    expect(step).toMatchObject({ channel, thread: root.message });

    await adapter.update(step, { text: 'Backup verified', tone: 'danger' });
    const edited = fake.state.messages.get(step.message);
    expect(edited?.['edited_timestamp']).not.toBeNull();
    const editedEmbed = (edited?.['embeds'] as Array<Record<string, unknown>>)[0];
    expect(editedEmbed?.['description']).toBe('Backup verified');
    expect(editedEmbed?.['color']).toBe(0xed4245);
    await adapter.update(root, { title: 'Upgrade 2026.9.6 → production: done', text: 'done', tone: 'success' });
    expect(fake.calls.some((call) => call.method === 'PATCH' && call.path === `/channels/${channel}/messages/${root.message}`)).toBe(true);
  });

  it('a message beyond Discord\'s embed limits is still accepted (clipped, not refused)', async () => {
    const channel = fake.guild.channels[0]?.id ?? '';
    const ref = await adapter.post({ platform: 'discord', channel }, {
      title: 'T'.repeat(400), text: 'long', lines: Array.from({ length: 300 }, (_, index) => `host-${index}: ${'ok '.repeat(10)}`),
      fields: Array.from({ length: 40 }, (_, index) => ({ label: `host-${index}`, value: 'v'.repeat(1500) })),
    });
    expect(fake.state.messages.has(ref.message)).toBe(true);
    expect(fake.calls.filter((call) => call.status === 400 && call.path === `/channels/${channel}/messages`)).toEqual([]);
  });

  it('adds a message\'s reactions after posting it, as unicode', async () => {
    const channel = fake.guild.channels[1]?.id ?? '';
    const ref = await adapter.post({ platform: 'discord', channel }, { title: 'Approval needed', text: 'react', reactions: [':white_check_mark:', '❌'] });
    expect(fake.state.botReactions).toEqual([`${channel}/${ref.message}/✅`, `${channel}/${ref.message}/❌`]);
  });

  it('a reaction on an uncached message becomes a ReactionEvent with the member\'s role ids', async () => {
    const channel = fake.guild.channels[1]?.id ?? '';
    const messageId = fake.seedMessage(channel, { content: 'approve me (from a previous run)' });
    const alice = fake.guild.members[0];
    const received = nextReaction();
    fake.dispatchReactionAdd({ messageId, channelId: channel, userId: alice?.id ?? '', emoji: '✅' });
    const event = await received;
    expect(event).toEqual({
      platform: 'discord', userId: alice?.id, userName: 'alice', groups: alice?.roles, channel, message: messageId, reaction: '✅',
      // Fetched to learn its author: a reaction on the bot's message that does nothing is answered.
      botMessage: true,
    });
  });

  it('the bot\'s own reactions (the ones it adds for people to click) are not reported', async () => {
    const channel = fake.guild.channels[1]?.id ?? '';
    const messageId = fake.seedMessage(channel, { content: 'gate' });
    const received = nextReaction();
    fake.dispatchReactionAdd({ messageId, channelId: channel, userId: fake.bot.id, emoji: '✅' });
    fake.dispatchReactionAdd({ messageId, channelId: channel, userId: fake.guild.members[1]?.id ?? '', emoji: '❌' });
    const event = await received;
    expect(event).toMatchObject({ userId: fake.guild.members[1]?.id, reaction: '❌' });
    expect(reactions.filter((each) => each.userId === fake.bot.id)).toEqual([]);
  });

  it('a reaction in an upgrade thread reports the parent channel, as post() did', async () => {
    const channel = fake.guild.channels[0]?.id ?? '';
    const root = await adapter.post({ platform: 'discord', channel }, { title: 'Upgrade', text: 'x' });
    const gate = await adapter.post(root, { title: 'Approve?', text: 'y' });
    const received = nextReaction();
    fake.dispatchReactionAdd({ messageId: gate.message, channelId: root.message, userId: fake.guild.members[1]?.id ?? '', emoji: '❌' });
    const event = await received;
    expect(event).toMatchObject({ channel, message: gate.message, reaction: '❌', groups: [] });
  });
});
