/**
 * The chat gateway end to end: the sandbox fleet (Redis, registry, staging-1 under PM2, prod-1
 * blue-green behind nginx), a fake Slack and a fake Discord speaking their real protocols, and
 * the real runtime (engine + worker + bot) with the real Bolt and discord.js clients.
 */
import type { z } from 'zod';
import { createSlackAdapter } from '../../src/chat/slack/index.js';
import { createDiscordAdapter } from '../../src/chat/discord/index.js';
import type { ChatAdapter } from '../../src/chat/types.js';
import { parseConfig } from '../../src/config/load.js';
import type { ClawopsConfig, configSchema } from '../../src/config/schema.js';
import { startRuntime, type Runtime } from '../../src/app/runtime.js';
import { ThreadStore } from '../../src/bot/thread-store.js';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import { createLogger } from '../../src/log/logger.js';
import { createSshShell } from '../../src/remote/ssh-shell.js';
import type { RemoteShell } from '../../src/remote/types.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../harness/sandbox.js';
import { probeFromHost, waitReady } from '../harness/openclaw.js';
import { SANDBOX_PM2_HOME, SANDBOX_RELEASES } from '../harness/sandbox.js';
import { defaultGuild, startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack/server.js';
import { postSigned, reactionAddedPayload, slashCommandBody } from '../fakes/slack/signing.js';

type ConfigInput = z.input<typeof configSchema>;

export const SECRET = 'chat-e2e-signing-secret';
export const SLACK = { origin: 'C0OPS', approvals: 'C0APPROVALS' } as const;
/** Slack people: Alice and Bob approve; Carol may run commands but not approve; Dave may do nothing. */
export const ALICE = 'U0ALICE';
export const BOB = 'U0BOB';
export const CAROL = 'U0CAROL';
export const DAVE = 'U0DAVE';
const [APPROVERS_ROLE, DEPLOYERS_ROLE] = defaultGuild.roles.map((role) => role.id) as [string, string];
const [DEPLOYS, APPROVALS] = defaultGuild.channels.map((channel) => channel.id) as [string, string];
export const DISCORD = { origin: DEPLOYS, approvals: APPROVALS, approversRole: APPROVERS_ROLE } as const;
/** Discord people: alice deploys and approves, erin approves, bob has no role. */
export const D_ALICE = '930000000000000001';
export const D_BOB = '930000000000000002';
export const D_ERIN = '930000000000000005';

export interface ChatStackOptions {
  prefix: string;
  approvals?: Partial<NonNullable<ConfigInput['approvals']>>;
  versions?: SandboxOptions['versions'];
  gateTimeoutMs?: number;
  /** How long a gateway may take to turn ready (default the sandbox's 30 s). */
  readySeconds?: number;
}

/** One message as the chat platform shows it now (after every edit). */
export interface ShownMessage {
  id: string;
  /** Everything a person reads in it (title, text, fields, lines, context), flattened. */
  text: string;
}

export interface ChatStack {
  sandbox: Sandbox;
  shell: RemoteShell;
  slack: FakeSlack;
  discord: FakeDiscord;
  config: ClawopsConfig;
  runtime(): Runtime;
  threads(): ThreadStore;
  /** Stops the gateway (bot, engine, worker) and starts a fresh one on the same Redis. */
  restartGateway(): Promise<void>;
  /** A signed `/openclaw <text>` over Slack's HTTP mode; resolves with the ephemeral reply, if any within the wait. */
  slash(text: string, userId: string, waitReplyMs?: number): Promise<string | undefined>;
  slackReact(userId: string, channel: string, ts: string, reaction?: string): Promise<void>;
  discordCommand(userId: string, subcommand: string, options: Record<string, string | boolean>): void;
  discordReact(userId: string, channelId: string, messageId: string, emoji?: string): void;
  /** The first event of an upgrade (replayed or live) that matches. */
  waitForEvent(upgradeId: string, match: (event: UpgradeEvent) => boolean, timeoutMs?: number): Promise<UpgradeEvent>;
  /** The ref of a thread message by its key (`plan`, `checklist`, `gate:<id>`, `note:<n>`, `report`). */
  ref(upgradeId: string, platform: 'slack' | 'discord', channel: string, key: string): Promise<{ message: string; thread?: string }>;
  slackThread(channel: string, rootTs: string): ShownMessage[];
  discordThread(rootId: string): ShownMessage[];
  /** The version the gateway users reach really runs (staging: the PM2 app; production: through nginx). */
  version(host: 'staging' | 'production'): Promise<string | undefined>;
  /** Waits until no upgrade holds a lock and the queue has nothing active or parked. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const logger = createLogger({ level: 'silent', pretty: false });

function blockText(blocks: unknown): string {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'text' && typeof inner === 'string') parts.push(inner);
        else walk(inner);
      }
    }
  };
  walk(blocks);
  return parts.join('\n');
}

function embedText(message: Record<string, unknown>): string {
  const embeds = (message['embeds'] ?? []) as Array<Record<string, unknown>>;
  const parts: string[] = [String(message['content'] ?? '')];
  for (const embed of embeds) {
    parts.push(String(embed['title'] ?? ''), String(embed['description'] ?? ''));
    for (const field of (embed['fields'] ?? []) as Array<{ name: string; value: string }>) parts.push(`${field.name}\n${field.value}`);
    const footer = embed['footer'] as { text?: string } | undefined;
    if (footer?.text) parts.push(footer.text);
  }
  return parts.filter((part) => part !== '').join('\n');
}

export async function startChatStack(options: ChatStackOptions): Promise<ChatStack> {
  const shell = createSshShell({ logger });
  const sandbox = await startSandbox({ shell, ...(options.versions ? { versions: options.versions } : {}) });
  // The sandbox starts staging's PM2 app from the 1.2.0 prefix, so switching `current` would
  // change nothing that runs: run it from the link, as the pm2 strategy expects.
  const staging = sandbox.staging;
  const pm2 = (argv: string[]) => shell.run(staging.target, argv, { timeoutMs: 30_000, env: { PM2_HOME: SANDBOX_PM2_HOME, OPENCLAW_STATE_DIR: '/root/.openclaw', OPENCLAW_DOUBLE_STARTUP_MS: '300' } });
  try {
    await pm2(['pm2', 'delete', 'openclaw']);
    const restarted = await pm2(['pm2', 'start', `${SANDBOX_RELEASES}/current/bin/openclaw`, '--name', 'openclaw', '--interpreter', 'none', '--', 'gateway', 'run', '--port', '18789', '--bind', 'loopback']);
    if (restarted.exitCode !== 0) throw new Error(`restarting staging from the current link failed: ${restarted.stderr}`);
    await waitReady(shell, staging, { port: 18789, timeoutMs: 30_000 });
  } catch (error) {
    await sandbox.stop();
    await shell.close();
    throw error;
  }
  const slack = await startFakeSlack({ users: { [ALICE]: 'Alice', [BOB]: 'Bob', [CAROL]: 'Carol', [DAVE]: 'Dave' } });
  const discord = await startFakeDiscord({
    heartbeatIntervalMs: 500,
    guilds: [{ ...defaultGuild, members: [...defaultGuild.members, { id: D_ERIN, username: 'erin', roles: [APPROVERS_ROLE] }] }],
  });
  const input: ConfigInput = {
    ...sandbox.config,
    runbook: {
      ...sandbox.config.runbook, watch: { minutes: 0, intervalSeconds: 1 },
      ...(options.readySeconds === undefined ? {} : { timeouts: { ...sandbox.config.runbook?.timeouts, readySeconds: options.readySeconds } }),
    },
    approvals: {
      slack: { users: [ALICE, BOB] }, discord: { roles: [APPROVERS_ROLE] },
      allowSelfApproval: false, minApprovers: 1, deadlineMinutes: 30, ...options.approvals,
    },
    authorization: [
      { slackUsers: [ALICE, BOB, CAROL], commands: ['*'] },
      { discordRoles: [DEPLOYERS_ROLE], commands: ['*'] },
    ],
    chat: {
      slack: { botToken: 'xoxb-e2e', signingSecret: SECRET, mode: 'http', port: 3000, apiUrl: slack.apiUrl, approvalsChannel: SLACK.approvals },
      discord: { token: discord.token, applicationId: discord.applicationId, guildId: discord.guild.id, apiUrl: discord.apiUrl, approvalsChannel: DISCORD.approvals },
    },
    redis: { url: sandbox.redisUrl, prefix: options.prefix },
    log: { level: 'error' },
  };
  let config: ClawopsConfig;
  try {
    config = parseConfig(JSON.stringify(input), { env: {}, home: '/root' });
  } catch (error) {
    await Promise.allSettled([slack.close(), discord.close(), sandbox.stop()]);
    await shell.close();
    throw error;
  }
  let slackUrl = '';
  const startGateway = async (): Promise<Runtime> => {
    const slackAdapter = createSlackAdapter({ config: config.chat.slack!, logger, apiUrl: slack.apiUrl, host: '127.0.0.1', port: 0 });
    const discordAdapter = createDiscordAdapter({ config: config.chat.discord!, logger, apiUrl: discord.apiUrl, readyTimeoutMs: 10_000 });
    const adapters: ChatAdapter[] = [slackAdapter, discordAdapter];
    const started = await startRuntime({
      config, logger, adapters, editIntervalMs: 50,
      ...(options.gateTimeoutMs === undefined ? {} : { gateTimeoutMs: options.gateTimeoutMs }),
    });
    slackUrl = slackAdapter.url ?? '';
    return started;
  };
  let runtime: Runtime;
  try {
    runtime = await startGateway();
  } catch (error) {
    await Promise.allSettled([slack.close(), discord.close(), sandbox.stop()]);
    await shell.close();
    throw error;
  }

  const slackMessages = () => {
    const shown = new Map<string, { thread?: string; channel: string; text: string }>();
    for (const call of slack.calls) {
      if (call.method === 'chat.postMessage' && call.response?.['ok'] === true) {
        const ts = String(call.response['ts']);
        const thread = call.args['thread_ts'] === undefined ? undefined : String(call.args['thread_ts']);
        shown.set(ts, { channel: String(call.args['channel']), text: `${String(call.args['text'])}\n${blockText(call.args['blocks'])}`, ...(thread ? { thread } : {}) });
      }
      if (call.method === 'chat.update') {
        const known = shown.get(String(call.args['ts']));
        if (known) known.text = `${String(call.args['text'])}\n${blockText(call.args['blocks'])}`;
      }
    }
    return shown;
  };

  return {
    sandbox, shell, slack, discord, config,
    runtime: () => runtime,
    threads: () => new ThreadStore(runtime.redis, config.redis.prefix),
    async restartGateway() {
      await runtime.stop();
      runtime = await startGateway();
    },
    async slash(text, userId, waitReplyMs = 10_000) {
      const responseUrl = slack.responseUrl();
      const result = await postSigned(slackUrl, slashCommandBody({ text, userId, userName: userId.slice(2).toLowerCase(), channelId: SLACK.origin, responseUrl }), { secret: SECRET });
      if (result.status !== 200) throw new Error(`slash command answered HTTP ${result.status}: ${result.body}`);
      if (waitReplyMs <= 0) return undefined;
      const path = new URL(responseUrl).pathname;
      const reply = await slack.waitForCall('response_url', (call) => call.args['path'] === path, waitReplyMs).catch(() => undefined);
      return reply === undefined ? undefined : String(reply.args['text']);
    },
    async slackReact(userId, channel, ts, reaction = 'white_check_mark') {
      const body = JSON.stringify(reactionAddedPayload({ user: userId, reaction, channel, ts }));
      const result = await postSigned(slackUrl, body, { secret: SECRET, contentType: 'application/json' });
      if (result.status !== 200) throw new Error(`reaction answered HTTP ${result.status}`);
    },
    discordCommand(userId, subcommand, commandOptions) {
      discord.dispatchCommand({ subcommand, options: commandOptions, userId, channelId: DISCORD.origin });
    },
    discordReact(userId, channelId, messageId, emoji = '✅') {
      discord.dispatchReactionAdd({ userId, channelId, messageId, emoji });
    },
    waitForEvent(upgradeId, match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const seen: string[] = [];
        let unsubscribe: () => void = () => undefined;
        const timer = setTimeout(() => { unsubscribe(); reject(new Error(`no matching event for ${upgradeId} within ${timeoutMs} ms; saw ${seen.join(', ')}`)); }, timeoutMs);
        unsubscribe = runtime.engine.subscribe(upgradeId, (event) => {
          seen.push(event.type === 'step-failed' ? `step-failed(${event.stepId}: ${event.error})` : event.type);
          if (!match(event)) return;
          clearTimeout(timer);
          setImmediate(() => unsubscribe());
          resolve(event);
        });
      });
    },
    async ref(upgradeId, platform, channel, key) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = (await new ThreadStore(runtime.redis, config.redis.prefix).get(upgradeId, platform, channel))?.refs[key];
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no ${key} message of ${upgradeId} on ${platform} ${channel}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    slackThread(channel, rootTs) {
      return [...slackMessages().entries()]
        .filter(([ts, message]) => message.channel === channel && (ts === rootTs || message.thread === rootTs))
        .map(([id, message]) => ({ id, text: message.text }));
    },
    discordThread(rootId) {
      return [...discord.state.messages.values()]
        .filter((message) => message['id'] === rootId || message['channel_id'] === rootId)
        .map((message) => ({ id: String(message['id']), text: embedText(message) }));
    },
    async version(which) {
      const probe = which === 'staging'
        ? await probeFromHost(shell, sandbox.staging.target, 18789, '/')
        : await probeFromHost(shell, sandbox.production.target, sandbox.nginx.port, '/');
      const body = probe.body as { version?: string } | string;
      return typeof body === 'object' ? body.version : undefined;
    },
    async idle() {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const counts = await runtime.engine.queue.getJobCounts('active', 'delayed', 'waiting');
        const locks = await runtime.redis.keys(`${config.redis.prefix}:lock:*`);
        if (counts['active'] === 0 && counts['delayed'] === 0 && counts['waiting'] === 0 && locks.length === 0) return;
        if (Date.now() > deadline) throw new Error(`still busy: ${JSON.stringify(counts)} locks ${locks.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      await runtime.stop().catch(() => undefined);
      await Promise.allSettled([slack.close(), discord.close()]);
      await sandbox.stop();
      await shell.close();
    },
  };
}
