import {
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  Partials,
  RESTJSONErrorCodes,
  SimpleShardingStrategy,
  type IShardingStrategy,
  type GuildTextBasedChannel,
  type Message,
  type TextBasedChannel,
  type ThreadChannel,
} from 'discord.js';
import type { Logger } from '../../log/logger.js';
import type { ClawopsConfig } from '../../config/schema.js';
import { ClawopsError } from '../../errors.js';
import type { ChatAdapter, ChatMessage, CommandEvent, MessageRef, ReactionEvent, ThreadRef } from '../types.js';
import { DISCORD_COMMAND_NAME } from './command-spec.js';
import { chatMessageToPayload, threadName } from './embed.js';
import { discordEmoji } from './emoji.js';
import { handleCommandInteraction } from './interactions.js';
import { isOwnMessage, reactionToEvent } from './reactions.js';

export type DiscordConfig = NonNullable<ClawopsConfig['chat']['discord']>;

/** What the Discord adapter needs; the token and ids come from the validated config. */
export interface DiscordAdapterOptions {
  config: DiscordConfig;
  logger: Logger;
  /** REST base (`https://discord.com/api`); overrides config.apiUrl. The gateway URL comes from `GET /gateway/bot`. */
  apiUrl?: string | undefined;
  /** How long start() waits for the gateway to be ready. */
  readyTimeoutMs?: number | undefined;
}

type SendableChannel = TextBasedChannel & GuildTextBasedChannel;

function chatError(action: string, error: unknown, details: Record<string, unknown>): ClawopsError {
  const api = error instanceof DiscordAPIError ? { status: error.status, discordCode: error.code } : {};
  return new ClawopsError('INTERNAL', `Discord: could not ${action}: ${(error as Error).message}`, { platform: 'discord', ...details, ...api }, { cause: error });
}

/**
 * Shards that never connect once a start was given up. discord.js ignores destroy() while login()
 * is still asking REST for the gateway's address, and then connects anyway: a client given up on
 * (another platform failed, the ready wait timed out) would hold the process open with a live
 * WebSocket, its heartbeat and reconnect timers.
 */
function refusedOnceAbandoned(manager: ConstructorParameters<typeof SimpleShardingStrategy>[0], abandoned: () => boolean): IShardingStrategy {
  const strategy = new SimpleShardingStrategy(manager);
  const connect = strategy.connect.bind(strategy);
  strategy.connect = async () => {
    if (abandoned()) throw new ClawopsError('INTERNAL', 'Discord: stopped while connecting.', { platform: 'discord' });
    await connect();
  };
  return strategy;
}

/**
 * The Discord ChatAdapter: the real discord.js Client, `/openclaw` as an application command,
 * messages as embeds, one thread per root message (started the first time something is posted
 * into it), approvals as reactions with the reacting member's role ids.
 */
export function createDiscordAdapter(options: DiscordAdapterOptions): ChatAdapter {
  const { config } = options;
  const logger = options.logger.child({ platform: 'discord' });
  const apiUrl = options.apiUrl ?? config.apiUrl;
  const commandHandlers: Array<(event: CommandEvent) => Promise<void>> = [];
  const reactionHandlers: Array<(event: ReactionEvent) => Promise<void>> = [];
  /** Root message id -> thread channel id (they are equal on Discord; kept apart for clarity). */
  const threadIds = new Map<string, string>();
  const threadNames = new Map<string, string>();
  const threadsStarting = new Map<string, Promise<ThreadChannel>>();
  let client: Client | undefined;
  /** Ends a start() still waiting for the gateway (stop() during start). */
  let abandonStart: ((error: Error) => void) | undefined;

  function live(): Client {
    if (client === undefined) throw new ClawopsError('INTERNAL', 'The Discord adapter is not started.', { platform: 'discord' });
    return client;
  }

  async function channelById(id: string): Promise<SendableChannel> {
    const discord = live();
    const channel = discord.channels.cache.get(id) ?? await discord.channels.fetch(id);
    if (channel === null || !channel.isTextBased() || channel.isDMBased()) {
      throw new ClawopsError('NOT_FOUND', `Discord channel ${id} is not a server text channel the bot can see.`, { platform: 'discord', channel: id });
    }
    return channel;
  }

  async function startThread(channelId: string, rootId: string): Promise<ThreadChannel> {
    const parent = await channelById(channelId);
    if (!('threads' in parent) || parent.isThread()) {
      throw new ClawopsError('NOT_FOUND', `Discord channel ${channelId} cannot hold threads.`, { platform: 'discord', channel: channelId });
    }
    try {
      return await parent.threads.create({ startMessage: rootId, name: threadNames.get(rootId) ?? `clawops ${rootId}` });
    } catch (error) {
      // Started earlier (another process, or before a restart): Discord gives the thread the root's id.
      if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage) {
        const existing = await live().channels.fetch(rootId);
        if (existing?.isThread()) return existing;
      }
      throw error;
    }
  }

  async function threadFor(channelId: string, rootId: string): Promise<ThreadChannel> {
    const known = live().channels.cache.get(threadIds.get(rootId) ?? rootId);
    if (known?.isThread()) return known;
    let starting = threadsStarting.get(rootId);
    if (starting === undefined) {
      starting = startThread(channelId, rootId).finally(() => threadsStarting.delete(rootId));
      threadsStarting.set(rootId, starting);
    }
    const thread = await starting;
    threadIds.set(rootId, thread.id);
    return thread;
  }

  /** Adds the message's reactions so people can click them; a failure only costs convenience. */
  async function addReactions(sent: Message, reactions: readonly string[] | undefined): Promise<void> {
    for (const reaction of reactions ?? []) {
      const emoji = discordEmoji(reaction);
      if (emoji === undefined) {
        logger.warn({ reaction }, 'no Discord emoji for this reaction; not added');
        continue;
      }
      try {
        await sent.react(emoji);
      } catch (error) {
        logger.warn({ err: error, reaction, message: sent.id }, 'could not add a reaction');
      }
    }
  }

  async function emitReaction(event: ReactionEvent): Promise<void> {
    for (const handler of reactionHandlers) {
      try {
        await handler(event);
      } catch (error) {
        logger.error({ err: error, message: event.message }, 'discord reaction handler failed');
      }
    }
  }

  function wire(discord: Client): void {
    discord.on(Events.InteractionCreate, (interaction) => {
      if (!interaction.isChatInputCommand() || interaction.commandName !== DISCORD_COMMAND_NAME) return;
      void handleCommandInteraction(interaction, commandHandlers, logger);
    });
    discord.on(Events.MessageReactionAdd, (reaction, user) => {
      if (user.id === discord.user?.id) return;
      void isOwnMessage(reaction, discord.user?.id).then((own) => {
        const event = reactionToEvent(reaction, user, own);
        if (event !== undefined) return emitReaction(event);
        return undefined;
      });
    });
    discord.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
    discord.on(Events.Warn, (message) => logger.warn(message));
    discord.on(Events.ShardDisconnect, (event, shard) => logger.warn({ code: event.code, shard }, 'discord gateway disconnected'));
  }

  return {
    platform: 'discord',

    async start() {
      if (client !== undefined) return;
      let abandoned = false;
      const discord = new Client({
        intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessageReactions],
        // Reactions on messages sent before this process started arrive for uncached messages.
        partials: [Partials.Message, Partials.Reaction, Partials.User],
        ...(apiUrl !== undefined ? { rest: { api: apiUrl } } : {}),
        ws: { buildStrategy: (manager) => refusedOnceAbandoned(manager, () => abandoned) },
      });
      wire(discord);
      client = discord;
      const timeoutMs = options.readyTimeoutMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      try {
        const ready = new Promise<void>((resolve, reject) => {
          discord.once(Events.ClientReady, () => resolve());
          timer = setTimeout(() => reject(new ClawopsError('INTERNAL', `Discord gateway not ready after ${timeoutMs} ms.`, { platform: 'discord' })), timeoutMs);
          abandonStart = (error) => {
            abandoned = true;
            reject(error);
          };
        });
        await Promise.all([discord.login(config.token), ready]);
        logger.info({ user: discord.user?.tag, guilds: discord.guilds.cache.size }, 'discord connected');
      } catch (error) {
        abandoned = true;
        client = undefined;
        await discord.destroy();
        if (error instanceof ClawopsError) throw error;
        if (error instanceof Error && 'code' in error && error.code === 'TokenInvalid') {
          throw new ClawopsError('CONFIG_INVALID', 'Discord rejected the bot token (chat.discord.token).', { platform: 'discord' }, { cause: error });
        }
        throw chatError('connect', error, {});
      } finally {
        clearTimeout(timer);
        abandonStart = undefined;
      }
    },

    async stop() {
      // Another platform failed while this one was still connecting: end the wait (and its timer) too.
      abandonStart?.(new ClawopsError('INTERNAL', 'Discord: stopped while connecting.', { platform: 'discord' }));
      abandonStart = undefined;
      const discord = client;
      client = undefined;
      threadsStarting.clear();
      if (discord !== undefined) await discord.destroy();
    },

    async post(where: ThreadRef, message: ChatMessage): Promise<MessageRef> {
      const payload = chatMessageToPayload(message);
      try {
        if (where.thread === undefined) {
          const channel = await channelById(where.channel);
          const sent = await channel.send(payload);
          threadNames.set(sent.id, threadName(message));
          await addReactions(sent, message.reactions);
          return { platform: 'discord', channel: where.channel, thread: sent.id, message: sent.id };
        }
        const thread = await threadFor(where.channel, where.thread);
        const sent = await thread.send(payload);
        await addReactions(sent, message.reactions);
        return { platform: 'discord', channel: where.channel, thread: where.thread, message: sent.id };
      } catch (error) {
        if (error instanceof ClawopsError) throw error;
        throw chatError('post a message', error, { channel: where.channel, thread: where.thread });
      }
    },

    async update(ref: MessageRef, message: ChatMessage): Promise<void> {
      const inThread = ref.thread !== undefined && ref.thread !== ref.message;
      const channelId = inThread && ref.thread !== undefined ? threadIds.get(ref.thread) ?? ref.thread : ref.channel;
      try {
        const channel = await channelById(channelId);
        await channel.messages.edit(ref.message, chatMessageToPayload(message));
      } catch (error) {
        if (error instanceof ClawopsError) throw error;
        throw chatError('edit a message', error, { channel: ref.channel, thread: ref.thread, message: ref.message });
      }
    },

    async notifyUser(where: ThreadRef, userId: string, text: string): Promise<void> {
      // A reaction has no interaction to answer ephemerally: a thread message that pings only them.
      const payload = { content: `<@${userId}> ${text}`, allowedMentions: { users: [userId] } };
      try {
        const target = where.thread === undefined ? await channelById(where.channel) : await threadFor(where.channel, where.thread);
        await target.send(payload);
      } catch (error) {
        if (error instanceof ClawopsError) throw error;
        throw chatError('answer a reaction', error, { channel: where.channel, thread: where.thread, user: userId });
      }
    },

    onCommand(handler) {
      commandHandlers.push(handler);
    },

    onReaction(handler) {
      reactionHandlers.push(handler);
    },
  };
}
