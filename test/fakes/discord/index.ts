import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeGateway, type GatewayLog } from './gateway.js';
import { memberPayload, messagePayload, snowflake, textChannelPayload, type FakeGuild, type FakeUser } from './payloads.js';
import { handleRest } from './rest.js';
import { defaultGuild, type FakeDiscordState, type FakeInteraction, type RecordedCall } from './state.js';

export { defaultGuild, snowflake, type FakeGuild, type FakeInteraction, type FakeUser, type RecordedCall };

/** The world the fake serves. */
export interface FakeDiscordOptions {
  token?: string;
  applicationId?: string;
  bot?: FakeUser;
  guilds?: FakeGuild[];
  heartbeatIntervalMs?: number;
  /** Discord's 3 s to acknowledge an interaction. */
  interactionDeadlineMs?: number;
}

/** An `/openclaw <subcommand>` invocation to dispatch; option types follow the JS values. */
export interface CommandDispatch {
  subcommand: string;
  options?: Record<string, string | boolean | number>;
  userId?: string;
  channelId?: string;
  guildId?: string;
  commandName?: string;
}

export interface ReactionDispatch {
  messageId: string;
  channelId: string;
  userId: string;
  /** Unicode emoji, or `name:id` for a custom one. */
  emoji: string;
  guildId?: string;
}

/** A running fake: REST on `apiUrl`, the gateway on the same port. */
export interface FakeDiscord {
  apiUrl: string;
  gatewayUrl: string;
  token: string;
  applicationId: string;
  bot: FakeUser;
  guild: FakeGuild;
  state: FakeDiscordState;
  gateway: GatewayLog;
  calls: RecordedCall[];
  /** Resolves with the first call (already made or future) that matches, or rejects after timeoutMs. */
  waitForCall(predicate: (call: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  waitForIdentify(): Promise<void>;
  dispatchCommand(command: CommandDispatch): FakeInteraction;
  dispatchReactionAdd(reaction: ReactionDispatch): void;
  /** A message that exists on Discord but that this client never saw (sent by a previous run, say). */
  seedMessage(channelId: string, body: Record<string, unknown>): string;
  close(): Promise<void>;
}

const optionType = (value: string | boolean | number): number => (typeof value === 'boolean' ? 5 : typeof value === 'number' ? 10 : 3);

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const guilds = options.guilds ?? [defaultGuild];
  const guild = guilds[0];
  if (guild === undefined) throw new Error('the fake needs at least one guild');
  const state: FakeDiscordState = {
    token: options.token ?? 'fake-bot-token',
    applicationId: options.applicationId ?? '940000000000000001',
    bot: options.bot ?? { id: '940000000000000001', username: 'clawops', bot: true },
    guilds,
    channels: new Map(guilds.flatMap((each) => each.channels.map((channel, index) => [channel.id, textChannelPayload(each.id, channel, index)] as const))),
    messages: new Map(),
    interactions: new Map(),
    commands: new Map(),
    botReactions: [],
    calls: [],
    onCall: new Set(),
    interactionDeadlineMs: options.interactionDeadlineMs ?? 3000,
  };
  let gatewayUrl = '';
  const server = createServer((request, response) => {
    handleRest(state, gatewayUrl, request, response).catch(() => {
      response.writeHead(500).end();
    });
  });
  const gateway = new FakeGateway(server, state, { heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000, url: () => gatewayUrl });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  gatewayUrl = `ws://127.0.0.1:${port}`;

  const memberOf = (guildId: string, userId: string) => {
    if (userId === state.bot.id) return { ...state.bot, roles: [] };
    const member = guilds.find((each) => each.id === guildId)?.members.find((each) => each.id === userId);
    if (member === undefined) throw new Error(`no member ${userId} in guild ${guildId}`);
    return member;
  };

  return {
    apiUrl: `http://127.0.0.1:${port}/api`,
    gatewayUrl,
    token: state.token,
    applicationId: state.applicationId,
    bot: state.bot,
    guild,
    state,
    gateway: gateway.log,
    calls: state.calls,

    waitForCall(predicate, timeoutMs = 5000) {
      const found = state.calls.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const listener = (call: RecordedCall) => {
          if (!predicate(call)) return;
          clearTimeout(timer);
          state.onCall.delete(listener);
          resolve(call);
        };
        const timer = setTimeout(() => {
          state.onCall.delete(listener);
          reject(new Error(`no matching Discord REST call within ${timeoutMs} ms; calls: ${state.calls.map((call) => `${call.method} ${call.path}`).join(', ')}`));
        }, timeoutMs);
        state.onCall.add(listener);
      });
    },

    waitForIdentify: () => gateway.waitForIdentify(),

    dispatchCommand(command) {
      const guildId = command.guildId ?? guild.id;
      const channelId = command.channelId ?? guild.channels[0]?.id ?? '';
      const member = memberOf(guildId, command.userId ?? guild.members[0]?.id ?? '');
      const interaction: FakeInteraction = {
        id: snowflake(), token: `itoken-${snowflake()}`, channelId, guildId, userId: member.id, sentAt: Date.now(), followUps: [],
      };
      state.interactions.set(interaction.id, interaction);
      const options = Object.entries(command.options ?? {}).map(([name, value]) => ({ type: optionType(value), name, value }));
      gateway.dispatch('INTERACTION_CREATE', {
        id: interaction.id, application_id: state.applicationId, type: 2, token: interaction.token, version: 1,
        guild_id: guildId, channel_id: channelId, channel: state.channels.get(channelId),
        guild: { id: guildId, locale: 'en-US', features: [] },
        member: { ...memberPayload(member), permissions: '2248473465835073' },
        app_permissions: '2248473465835073', locale: 'en-US', guild_locale: 'en-US', entitlements: [],
        authorizing_integration_owners: { 0: guildId }, context: 0, attachment_size_limit: 10_485_760,
        data: {
          id: snowflake(), name: command.commandName ?? 'openclaw', type: 1, guild_id: guildId,
          options: [{ type: 1, name: command.subcommand, options }],
        },
      });
      return interaction;
    },

    dispatchReactionAdd(reaction) {
      const guildId = reaction.guildId ?? guild.id;
      const custom = /^(.+):(\d+)$/.exec(reaction.emoji);
      gateway.dispatch('MESSAGE_REACTION_ADD', {
        user_id: reaction.userId, channel_id: reaction.channelId, message_id: reaction.messageId, guild_id: guildId,
        member: memberPayload(memberOf(guildId, reaction.userId)),
        emoji: custom ? { id: custom[2], name: custom[1], animated: false } : { id: null, name: reaction.emoji },
        burst: false, burst_colors: [], type: 0, message_author_id: state.bot.id,
      });
    },

    seedMessage(channelId, body) {
      const message = messagePayload({ id: snowflake(), channelId, author: state.bot, body });
      state.messages.set(String(message['id']), message);
      return String(message['id']);
    },

    async close() {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
