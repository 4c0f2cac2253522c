/**
 * Slack as a ChatAdapter, on the real @slack/bolt App: `/openclaw` is acked at once (Slack
 * gives 3 s) and handled afterwards; each upgrade is a thread; reactions become ReactionEvents.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type SlashCommand } from '@slack/bolt';
import type { ClawopsConfig } from '../../config/schema.js';
import { ClawopsError, isClawopsError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { ChatAdapter, ChatMessage, CommandEvent, MessageRef, ReactionEvent, ThreadRef } from '../types.js';
import { fallbackText, normalizeReaction, reactionName, toBlocks } from './blocks.js';
import { toBoltLogger } from './bolt-logger.js';
import { createGuardedReceiver } from './receiver.js';
import { createUserGroupResolver, createUserNameResolver, type SlackUserGroup } from './usergroups.js';

/** auth.test errors that mean the token itself is wrong (api.slack.com/methods/auth.test). */
const REJECTED_TOKEN = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type']);

export type SlackConfig = NonNullable<ClawopsConfig['chat']['slack']>;

/** Options of createSlackAdapter. */
export interface SlackAdapterOptions {
  config: SlackConfig;
  logger: Logger;
  /** Web API base URL; overrides `config.apiUrl` (GovSlack: https://slack-gov.com/api/, tests: a fake). */
  apiUrl?: string;
  /** HTTP mode: listen here instead of `config.port` (0 = any free port). */
  port?: number;
  host?: string;
  /** The slash command to answer. Default `/openclaw`. */
  command?: string;
  userGroupsTtlMs?: number;
  /** Clock for the future-timestamp check. */
  now?: () => number;
}

/** A Slack ChatAdapter; `url` is where Slack must post (HTTP mode, once started). */
export interface SlackAdapter extends ChatAdapter {
  readonly platform: 'slack';
  readonly url: string | undefined;
}

type CommandHandler = (event: CommandEvent) => Promise<void>;
type ReactionHandler = (event: ReactionEvent) => Promise<void>;

export function createSlackAdapter(options: SlackAdapterOptions): SlackAdapter {
  const { config, logger } = options;
  const boltLogger = toBoltLogger(logger);
  const apiUrl = withTrailingSlash(options.apiUrl ?? config.apiUrl);
  const clientOptions = {
    ...(apiUrl === undefined ? {} : { slackApiUrl: apiUrl }),
    // Our callers decide about retries; the SDK's default retries for minutes.
    retryConfig: { retries: 0 },
    timeout: 10_000,
  };
  const commandName = options.command ?? '/openclaw';
  const commandHandlers: CommandHandler[] = [];
  const reactionHandlers: ReactionHandler[] = [];
  let server: Server | undefined;
  /** Whether Bolt's receiver was started (and so has something to stop). */
  let receiving = false;

  const app = config.mode === 'socket'
    ? new App({ token: config.botToken, appToken: requireSetting(config.appToken, 'appToken'), socketMode: true, deferInitialization: true, logger: boltLogger, clientOptions })
    : new App({
      token: config.botToken,
      deferInitialization: true,
      logger: boltLogger,
      clientOptions,
      receiver: createGuardedReceiver({ signingSecret: requireSetting(config.signingSecret, 'signingSecret'), logger: boltLogger, ...(options.now === undefined ? {} : { now: options.now }) }),
    });

  const groups = createUserGroupResolver({
    logger,
    ...(options.userGroupsTtlMs === undefined ? {} : { ttlMs: options.userGroupsTtlMs }),
    list: async () => {
      const result = await app.client.usergroups.list({ include_users: true });
      return (result.usergroups ?? []).map((group): SlackUserGroup => ({ id: group.id ?? '', handle: group.handle ?? '', users: group.users ?? [] }));
    },
  });

  const names = createUserNameResolver({
    logger,
    info: async (user) => {
      const result = await app.client.users.info({ user });
      const profile = result.user?.profile;
      return profile?.display_name || profile?.real_name || result.user?.name || undefined;
    },
  });

  app.error(async (error) => {
    logger.error({ err: error }, 'slack listener failed');
  });

  app.command(commandName, async ({ command, ack, respond }) => {
    // Ack first and return: the work (groups lookup, parsing, planning) must not hold Slack's 3 s.
    await ack();
    void handleCommand(command, (text) => respond({ response_type: 'ephemeral', replace_original: false, text }).then(() => undefined));
  });

  app.event('reaction_added', async ({ event, context }) => {
    if (event.item.type !== 'message') return;
    const [userGroups, userName] = await Promise.all([groups.groupsOf(event.user), names.nameOf(event.user)]);
    const reaction: ReactionEvent = {
      platform: 'slack',
      userId: event.user,
      ...(userName === undefined ? {} : { userName }),
      groups: userGroups,
      channel: event.item.channel,
      message: event.item.ts,
      reaction: normalizeReaction(event.reaction),
      botMessage: event.item_user !== undefined && event.item_user === context.botUserId,
    };
    for (const handler of reactionHandlers) {
      await handler(reaction).catch((error: unknown) => logger.error({ err: error }, 'reaction handler failed'));
    }
  });

  async function handleCommand(command: SlashCommand, respond: (text: string) => Promise<void>): Promise<void> {
    const replyPrivately = async (text: string): Promise<void> => {
      try {
        if (command.response_url) {
          await respond(text);
          return;
        }
      } catch (error) {
        logger.warn({ err: error }, 'slack response_url failed; falling back to chat.postEphemeral');
      }
      await app.client.chat.postEphemeral({ channel: command.channel_id, user: command.user_id, text });
    };
    try {
      const event: CommandEvent = {
        platform: 'slack',
        userId: command.user_id,
        userName: command.user_name,
        groups: await groups.groupsOf(command.user_id),
        channel: command.channel_id,
        text: command.text.trim(),
        replyPrivately,
      };
      for (const handler of commandHandlers) await handler(event);
    } catch (error) {
      logger.error({ err: error }, 'slack command handler failed');
      await replyPrivately(`Sorry, that failed: ${error instanceof Error ? error.message : String(error)}`).catch((replyError: unknown) => {
        logger.error({ err: replyError }, 'could not tell the user about the failure');
      });
    }
  }

  async function call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const detail = (error as { data?: { error?: string } }).data?.error ?? requestFailure(error) ?? (error instanceof Error ? error.message : String(error));
      throw new ClawopsError('INTERNAL', `Slack ${method} failed: ${detail}`, { platform: 'slack', method, slackError: detail }, { cause: error });
    }
  }

  return {
    platform: 'slack',
    get url() {
      const address = server?.address() as AddressInfo | null | undefined;
      return address ? `http://${address.address}:${address.port}/slack/events` : undefined;
    },
    async start() {
      await call('auth.test', () => app.init()).catch((error: unknown) => {
        const slackError = isClawopsError(error) ? String(error.details['slackError']) : '';
        // A token Slack refuses is a config mistake (exit 2, like a rejected Discord token), not an outage.
        if (!REJECTED_TOKEN.has(slackError)) throw error;
        throw new ClawopsError('CONFIG_INVALID', `Slack rejected the bot token (chat.slack.botToken): ${slackError}.`, { platform: 'slack', slackError }, { cause: error });
      });
      if (config.mode === 'socket') {
        receiving = true;
        await app.start();
        return;
      }
      const port = options.port ?? config.port;
      server = (await app.start({ port, host: options.host ?? config.host ?? '0.0.0.0' })) as Server;
      receiving = true;
      logger.info({ url: this.url }, 'slack HTTP receiver listening');
    },
    async stop() {
      // Bolt's HTTPReceiver rejects stop() when it never listened (auth.test failed, port taken);
      // stopping an adapter that did not start is a no-op, so the caller's clean-up goes on.
      if (!receiving) return;
      receiving = false;
      server = undefined;
      await app.stop();
    },
    async post(where: ThreadRef, message: ChatMessage): Promise<MessageRef> {
      const result = await call('chat.postMessage', () => app.client.chat.postMessage({
        channel: where.channel,
        text: fallbackText(message),
        blocks: toBlocks(message),
        unfurl_links: false,
        ...(where.thread === undefined ? {} : { thread_ts: where.thread }),
      }));
      const ts = result.ts;
      if (ts === undefined) throw new ClawopsError('INTERNAL', 'Slack chat.postMessage returned no ts', { platform: 'slack' });
      const channel = result.channel ?? where.channel;
      for (const reaction of message.reactions ?? []) {
        const name = reactionName(reaction);
        if (name === undefined) continue;
        // A missing reaction is cosmetic: people can still add it themselves.
        await app.client.reactions.add({ channel, timestamp: ts, name }).catch((error: unknown) => logger.warn({ err: error, name }, 'slack reactions.add failed'));
      }
      return { platform: 'slack', channel, thread: where.thread ?? ts, message: ts };
    },
    async update(ref: MessageRef, message: ChatMessage): Promise<void> {
      await call('chat.update', () => app.client.chat.update({ channel: ref.channel, ts: ref.message, text: fallbackText(message), blocks: toBlocks(message) }));
    },
    async notifyUser(where: ThreadRef, userId: string, text: string): Promise<void> {
      await call('chat.postEphemeral', () => app.client.chat.postEphemeral({
        channel: where.channel, user: userId, text, ...(where.thread === undefined ? {} : { thread_ts: where.thread }),
      }));
    },
    onCommand(handler) { commandHandlers.push(handler); },
    onReaction(handler) { reactionHandlers.push(handler); },
  };
}

/**
 * Why a request never got an answer, from the innermost cause ("connect ECONNREFUSED 127.0.0.1:443",
 * "getaddrinfo ENOTFOUND slack.com") rather than the SDK's "A request error occurred: fetch failed".
 */
function requestFailure(error: unknown): string | undefined {
  if ((error as { code?: unknown }).code !== 'slack_webapi_request_error') return undefined;
  let cause: unknown = (error as { original?: unknown }).original;
  let reason: string | undefined;
  for (let depth = 0; cause instanceof Error && depth < 5; depth += 1) {
    reason = cause.message;
    cause = cause.cause;
  }
  return reason === undefined ? undefined : `cannot reach the Slack API (${reason})`;
}

function withTrailingSlash(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  return url.endsWith('/') ? url : `${url}/`;
}

function requireSetting(value: string | undefined, name: string): string {
  if (value === undefined) throw new ClawopsError('CONFIG_INVALID', `chat.slack.${name} is required for this mode`, { path: `chat.slack.${name}` });
  return value;
}
