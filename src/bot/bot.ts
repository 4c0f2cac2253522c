/**
 * The chat gateway: commands from every connected platform go through one parser and one
 * authorization check to the engine; each upgrade's events are rendered into its thread on the
 * platform it came from, and its approval requests are mirrored to the other platforms'
 * approvals channels, where reactions count too.
 */
import { authorize, helpText, parseCommand } from '../commands/index.js';
import type { Command } from '../commands/types.js';
import type { ClawopsConfig } from '../config/schema.js';
import { isClawopsError } from '../errors.js';
import type { UpgradeEngine } from '../jobs/api.js';
import type { Requester, UpgradeEvent } from '../jobs/events.js';
import type { Logger } from '../log/logger.js';
import { selectEnvironment } from '../runbook/index.js';
import { createThreadPublisher, type ThreadPublisher } from '../chat/render/index.js';
import type { ChatAdapter, CommandEvent, Platform, ReactionEvent } from '../chat/types.js';
import type { AuditStore } from '../audit/store.js';
import type { ThreadRecord, ThreadStore } from './thread-store.js';
import type { QueryService } from './queries.js';

export interface BotDeps {
  adapters: readonly ChatAdapter[];
  engine: UpgradeEngine;
  audit: AuditStore;
  config: ClawopsConfig;
  threads: ThreadStore;
  queries: QueryService;
  logger: Logger;
  /** Scheduled upgrades (`--at`, `--window`); absent = refused with a message. */
  schedule?: (command: Extract<Command, { kind: 'upgrade' }>, requester: Requester, event: CommandEvent) => Promise<string>;
  scheduleCommands?: (command: Extract<Command, { kind: 'schedule' }>, requester: Requester) => Promise<string>;
  /** Minimum time between two edits of one chat message (rate limits). */
  editIntervalMs?: number;
}

/** What became of a command: `clawops say` turns this into its exit code. */
export type CommandOutcome =
  | { status: 'invalid' | 'refused' | 'failed'; message: string }
  | { status: 'answered' }
  | { status: 'started'; upgradeId: string; dryRun: boolean };

export interface Bot {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Runs one command as if typed on a platform (used by `clawops say`). */
  handleCommand(event: CommandEvent): Promise<CommandOutcome>;
  handleReaction(event: ReactionEvent): Promise<void>;
  /** Resolves once every pending chat edit of the upgrade is sent. */
  flush(upgradeId?: string): Promise<void>;
}

export function createBot(deps: BotDeps): Bot {
  const { engine, config, threads, logger } = deps;
  const adapters = new Map<Platform, ChatAdapter>(deps.adapters.map((adapter) => [adapter.platform, adapter]));
  const publishers = new Map<string, ThreadPublisher>();
  const subscriptions: Array<() => void> = [];
  const proposedRollback = new Set<string>();
  const render = { timeZone: config.schedule.timezone, reactions: config.approvals.reactions };

  function approvalsChannel(platform: Platform): string | undefined {
    if (platform === 'slack') return config.chat.slack?.approvalsChannel ?? config.chat.slack?.announceChannel;
    if (platform === 'discord') return config.chat.discord?.approvalsChannel ?? config.chat.discord?.announceChannel;
    return undefined;
  }

  /** Opens (or reopens after a restart) the thread of an upgrade on one platform and follows its events. */
  async function follow(record: Omit<ThreadRecord, 'refs'>, refs?: ThreadRecord['refs']): Promise<void> {
    const key = `${record.upgradeId}|${record.platform}|${record.channel}`;
    const adapter = adapters.get(record.platform);
    if (publishers.has(key) || adapter === undefined) return;
    const stored = await threads.open(record);
    const publisher = createThreadPublisher({
      adapter, channel: record.channel, upgradeId: record.upgradeId, render,
      refs: refs ?? stored.refs,
      ...(deps.editIntervalMs === undefined ? {} : { intervalMs: deps.editIntervalMs }),
      onPosted: (messageKey, ref) => {
        threads.addRef(record.upgradeId, messageKey, ref).catch((error: unknown) => logger.warn({ err: error }, 'saving a thread message failed'));
      },
      onError: (error, messageKey) => logger.warn({ err: error, upgradeId: record.upgradeId, message: messageKey }, 'posting to chat failed'),
    });
    publishers.set(key, publisher);
    subscriptions.push(engine.subscribe(record.upgradeId, (event) => {
      publisher.apply(event).catch((error: unknown) => logger.warn({ err: error }, 'rendering an event failed'));
      if (record.role === 'origin') void onOriginEvent(record, event);
    }));
  }

  async function onOriginEvent(origin: Omit<ThreadRecord, 'refs'>, event: UpgradeEvent): Promise<void> {
    try {
      if (event.type === 'gate-waiting') {
        for (const platform of adapters.keys()) {
          const channel = approvalsChannel(platform);
          if (platform === origin.platform || channel === undefined) continue;
          await follow({ upgradeId: origin.upgradeId, platform, channel, role: 'mirror' });
        }
      }
      if (event.type === 'rollback-proposed') proposedRollback.add(event.upgradeId);
      if (event.type === 'finished') {
        await threads.finish(event.upgradeId);
        if (event.outcome === 'failed' && proposedRollback.delete(event.upgradeId)) await startRollback(origin);
      }
    } catch (error) {
      logger.warn({ err: error, upgradeId: origin.upgradeId }, 'following an upgrade failed');
    }
  }

  /** A failed health check proposed a rollback: plan it at once; its own gate asks for approval. */
  async function startRollback(origin: Omit<ThreadRecord, 'refs'>): Promise<void> {
    const record = await deps.audit.get(origin.upgradeId);
    const requester: Requester = record?.requester ?? { platform: origin.platform === 'terminal' ? 'terminal' : origin.platform, userId: 'clawops' };
    const result = await engine.submit({ kind: 'rollback', environment: record?.environment ?? config.environments[0] as never, dryRun: false }, requester);
    const adapter = adapters.get(origin.platform);
    const root = (await threads.get(origin.upgradeId, origin.platform, origin.channel))?.refs['plan'];
    const note = result.ok
      ? `↩️ Rollback planned as ${result.upgradeId}: it waits for approval in its own thread.`
      : `↩️ Could not plan the rollback: ${result.message}`;
    if (adapter) await adapter.post({ platform: origin.platform, channel: origin.channel, ...(root ? { thread: root.message } : {}) }, { text: note, tone: result.ok ? 'warning' : 'danger' });
    if (result.ok) await follow({ upgradeId: result.upgradeId, platform: origin.platform, channel: origin.channel, role: 'origin' });
  }

  function requesterOf(event: CommandEvent): Requester {
    return { platform: event.platform, userId: event.userId, ...(event.userName ? { displayName: event.userName } : {}) };
  }

  function environmentOf(command: Command): string | undefined {
    const named = 'environment' in command ? command.environment : undefined;
    if (named !== undefined) return named;
    if (!['upgrade', 'rollback', 'version', 'check', 'backup', 'doctor', 'history'].includes(command.kind)) return undefined;
    try {
      return selectEnvironment(config, undefined).name;
    } catch {
      return undefined;
    }
  }

  async function handleCommand(event: CommandEvent): Promise<CommandOutcome> {
    const parsed = parseCommand(event.text);
    if (!parsed.ok) {
      await event.replyPrivately(`${parsed.message}\n${parsed.help}`);
      return { status: 'invalid', message: parsed.message };
    }
    const command = parsed.command;
    const environment = environmentOf(command);
    const actor = { platform: event.platform, userId: event.userId, ...(event.groups ? { groups: event.groups } : {}) };
    const verdict = authorize(command, actor, config.authorization, environment);
    const requester = requesterOf(event);
    if (!verdict.allowed) {
      await deps.audit.recordRefusal({ requester, command: event.text, code: 'NOT_AUTHORIZED', message: verdict.message, ...(environment ? { environment } : {}) });
      await event.replyPrivately(verdict.message);
      return { status: 'refused', message: verdict.message };
    }
    const where = { platform: event.platform, channel: event.channel };
    try {
      switch (command.kind) {
        case 'upgrade':
        case 'rollback': {
          if (command.kind === 'upgrade' && command.schedule !== undefined) {
            const reply = deps.schedule ? await deps.schedule(command, requester, event) : 'scheduling is not enabled in this deployment';
            await event.replyPrivately(reply);
            return { status: 'answered' };
          }
          const result = await engine.submit(command, requester);
          if (!result.ok) {
            await event.replyPrivately(result.message);
            return { status: result.code === 'NOT_AUTHORIZED' ? 'refused' : 'invalid', message: result.message };
          }
          await follow({ upgradeId: result.upgradeId, ...where, role: 'origin' });
          return { status: 'started', upgradeId: result.upgradeId, dryRun: command.dryRun };
        }
        case 'cancel': {
          const result = await engine.cancel(command.upgradeId, requester);
          await event.replyPrivately(result.message);
          return result.ok ? { status: 'answered' } : { status: 'invalid', message: result.message };
        }
        case 'help':
          await event.replyPrivately(helpText(command.topic));
          return { status: 'answered' };
        case 'schedule': {
          const reply = deps.scheduleCommands ? await deps.scheduleCommands(command, requester) : 'no upgrades are scheduled (scheduling is not enabled)';
          await post(where, reply);
          return { status: 'answered' };
        }
        default: {
          const message = await deps.queries.run(command, environment);
          const adapter = adapters.get(event.platform);
          if (adapter) await adapter.post(where, message);
          return { status: 'answered' };
        }
      }
    } catch (error) {
      logger.error({ err: error, command: event.text }, 'command failed');
      const message = isClawopsError(error) ? error.message : `that failed unexpectedly (${String(error).slice(0, 200)}); the bot log has details`;
      await event.replyPrivately(message);
      return { status: 'failed', message };
    }
  }

  async function post(where: { platform: Platform; channel: string }, text: string): Promise<void> {
    await adapters.get(where.platform)?.post(where, { text });
  }

  async function handleReaction(event: ReactionEvent): Promise<void> {
    const upgradeId = await threads.upgradeOf(event.platform, event.channel, event.message);
    if (upgradeId === null) return;
    const { approve, reject } = config.approvals.reactions;
    const decision = approve.includes(event.reaction) ? 'approve' : reject.includes(event.reaction) ? 'reject' : undefined;
    if (decision === undefined) return;
    const result = await engine.decide(upgradeId, {
      platform: event.platform, userId: event.userId, decision,
      ...(event.userName ? { displayName: event.userName } : {}),
      ...(event.groups ? { groups: event.groups } : {}),
    });
    logger.info({ upgradeId, user: event.userId, platform: event.platform, decision, counted: result.counted, reason: result.reason }, 'reaction');
  }

  return {
    handleCommand,
    handleReaction,
    async start() {
      for (const adapter of adapters.values()) {
        adapter.onCommand(async (event) => { await handleCommand(event); });
        adapter.onReaction(handleReaction);
      }
      await Promise.all([...adapters.values()].map((adapter) => adapter.start()));
      // A restarted gateway picks its threads up again: replayed events edit the saved messages.
      for (const upgradeId of await threads.activeUpgrades()) {
        for (const record of await threads.list(upgradeId)) await follow(record, record.refs);
      }
    },
    async flush(upgradeId) {
      const selected = [...publishers.entries()].filter(([key]) => upgradeId === undefined || key.startsWith(`${upgradeId}|`));
      await Promise.all(selected.map(([, publisher]) => publisher.flush()));
    },
    async stop() {
      for (const unsubscribe of subscriptions.splice(0)) unsubscribe();
      await Promise.all([...publishers.values()].map((publisher) => publisher.flush().catch(() => undefined)));
      await Promise.all([...adapters.values()].map((adapter) => adapter.stop()));
    },
  };
}
