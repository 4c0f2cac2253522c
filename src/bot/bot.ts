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
import type { ChatAdapter, CommandEvent, Platform, ReactionEvent } from '../chat/types.js';
import type { AuditStore } from '../audit/store.js';
import type { ThreadStore } from './thread-store.js';
import type { QueryService } from './queries.js';
import { environmentOf } from './environment.js';
import { createFollower, type ThreadTarget } from './follower.js';
import { asksForDecision, gateOfKey, idleReactionAnswer, mirrorChannel, privateAnswer, reactionDecision } from './reactions.js';
import { proposalNote, proposedScope } from './rollback-proposal.js';
import { outcomeOfError, outcomeOfReply, type CommandOutcome, type CommandReply } from './outcome.js';

export interface BotDeps {
  adapters: readonly ChatAdapter[];
  engine: UpgradeEngine;
  audit: AuditStore;
  config: ClawopsConfig;
  threads: ThreadStore;
  queries: QueryService;
  logger: Logger;
  /** Scheduled upgrades (`--at`, `--window`); absent = refused with a message. */
  schedule?: (command: Extract<Command, { kind: 'upgrade' }>, requester: Requester, event: CommandEvent) => Promise<CommandReply>;
  scheduleCommands?: (command: Extract<Command, { kind: 'schedule' }>, requester: Requester) => Promise<CommandReply>;
  /** Reactions on schedule announcements (🛑 postpone, ✅ approve in advance); `handled` ends the bot's own handling. */
  scheduleReaction?: (event: ReactionEvent) => Promise<{ handled: boolean; note?: string; answer?: string }>;
  /** Minimum time between two edits of one chat message (rate limits). */
  editIntervalMs?: number;
}

export type { CommandOutcome } from './outcome.js';

export interface Bot {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Runs one command as if typed on a platform (used by `clawops say`). */
  handleCommand(event: CommandEvent): Promise<CommandOutcome>;
  handleReaction(event: ReactionEvent): Promise<void>;
  /** Resolves once every pending chat edit of the upgrade is sent. */
  flush(upgradeId?: string): Promise<void>;
  /** Resolves once the upgrade's final report is sent in its thread. */
  settled(upgradeId: string): Promise<void>;
  /** Follows an upgrade that did not start from a chat command (a scheduled one) in a channel. */
  followUpgrade(upgradeId: string, platform: Platform, channel: string): Promise<void>;
}

export function createBot(deps: BotDeps): Bot {
  const { engine, config, threads, logger } = deps;
  const adapters = new Map<Platform, ChatAdapter>(deps.adapters.map((adapter) => [adapter.platform, adapter]));
  const proposedRollback = new Set<string>();
  const follower = createFollower({
    adapters, engine, threads, config, logger, onOriginEvent,
    ...(deps.editIntervalMs === undefined ? {} : { editIntervalMs: deps.editIntervalMs }),
  });

  async function onOriginEvent(origin: ThreadTarget, event: UpgradeEvent): Promise<void> {
    if (event.type === 'gate-waiting') {
      for (const platform of adapters.keys()) {
        const channel = mirrorChannel(config, platform);
        if (platform === origin.platform || channel === undefined) continue;
        await follower.follow({ upgradeId: origin.upgradeId, platform, channel, role: 'mirror' });
      }
    }
    if (event.type === 'rollback-proposed') proposedRollback.add(event.upgradeId);
    if (event.type === 'finished') {
      await threads.finish(event.upgradeId);
      // Claimed in Redis: a replay after a restart, or a second gateway, must not plan it again.
      // Every proposal is acted on (a failure, a rejected or expired gate, a cancel after traffic moved).
      if (event.outcome !== 'succeeded' && proposedRollback.delete(event.upgradeId) && await threads.claimOnce(`rollback:${event.upgradeId}`)) await startRollback(origin);
    }
  }

  /**
   * The run proposed a rollback: plan it at once for the environment whose hosts' traffic moved
   * (staging when the run stopped on staging); its own gate asks for approval.
   */
  async function startRollback(origin: ThreadTarget): Promise<void> {
    const record = await deps.audit.get(origin.upgradeId);
    const requester: Requester = record?.requester ?? { platform: origin.platform, userId: 'clawops' };
    const shown = follower.publisher(origin.upgradeId, origin.platform, origin.channel)?.state().plan;
    const fallback = record?.environment ?? shown?.environment;
    const scope = record === null ? null : proposedScope(record, config);
    const environment = scope?.environment ?? fallback;
    const result = await engine.submit({ kind: 'rollback', ...(environment === undefined ? {} : { environment }), dryRun: false }, requester);
    const adapter = adapters.get(origin.platform);
    const root = (await threads.get(origin.upgradeId, origin.platform, origin.channel))?.refs['plan'];
    const note = scope !== null ? proposalNote(scope, result)
      : result.ok ? `↩️ Rollback planned as ${result.upgradeId}: it waits for approval in its own thread.`
        : `↩️ Could not plan the rollback: ${result.message}`;
    if (adapter) await adapter.post({ platform: origin.platform, channel: origin.channel, ...(root ? { thread: root.message } : {}) }, { text: note, tone: result.ok ? 'warning' : 'danger' });
    if (result.ok) await follower.follow({ upgradeId: result.upgradeId, platform: origin.platform, channel: origin.channel, role: 'origin' });
  }

  function requesterOf(event: CommandEvent): Requester {
    return { platform: event.platform, userId: event.userId, ...(event.userName ? { displayName: event.userName } : {}) };
  }

  async function handleCommand(event: CommandEvent): Promise<CommandOutcome> {
    const parsed = parseCommand(event.text);
    if (!parsed.ok) {
      await event.replyPrivately(`${parsed.message}\n${parsed.help}`);
      return { status: 'invalid', message: parsed.message };
    }
    const command = parsed.command;
    const environment = environmentOf(command, config);
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
            const reply = deps.schedule ? await deps.schedule(command, requester, event) : { ok: false, message: 'scheduling is not enabled in this deployment' };
            await event.replyPrivately(reply.message);
            return outcomeOfReply(reply);
          }
          const result = await engine.submit(command, requester);
          if (!result.ok) {
            await event.replyPrivately(result.message);
            return { status: result.code === 'NOT_AUTHORIZED' ? 'refused' : 'invalid', message: result.message };
          }
          await follower.follow({ upgradeId: result.upgradeId, ...where, role: 'origin' });
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
          const reply = deps.scheduleCommands ? await deps.scheduleCommands(command, requester) : { ok: command.action === 'list', message: 'no upgrades are scheduled (scheduling is not enabled)' };
          await adapters.get(where.platform)?.post(where, { text: reply.message });
          return outcomeOfReply(reply);
        }
        default: {
          const message = await deps.queries.run(command, environment);
          await adapters.get(event.platform)?.post(where, message);
          return { status: 'answered' };
        }
      }
    } catch (error) {
      logger.error({ err: error, command: event.text }, 'command failed');
      const message = isClawopsError(error) ? error.message : `that failed unexpectedly (${String(error).slice(0, 200)}); the bot log has details`;
      await event.replyPrivately(message);
      return outcomeOfError(error, message);
    }
  }

  async function handleReaction(event: ReactionEvent): Promise<void> {
    const scheduled = await deps.scheduleReaction?.(event);
    if (scheduled?.handled) {
      if (scheduled.note) await adapters.get(event.platform)?.post({ platform: event.platform, channel: event.channel, thread: event.message }, { text: scheduled.note });
      if (scheduled.answer) await answerPrivately(event, undefined, scheduled.answer);
      return;
    }
    const decision = reactionDecision(event.reaction, config.approvals.reactions);
    const binding = await threads.bindingOf(event.platform, event.channel, event.message);
    const asks = binding !== null && asksForDecision(binding.key);
    if (decision === undefined || binding === null || !asks) {
      // A reaction on someone else's message is none of the bot's business.
      if (binding !== null || event.botMessage === true) await answerPrivately(event, binding?.upgradeId, idleReactionAnswer(event.reaction, asks, config.approvals.reactions));
      return;
    }
    // Bound to the plan the message showed: if the upgrade's plan is another one now, it does not count.
    const gateId = gateOfKey(binding.key);
    const result = await engine.decide(binding.upgradeId, {
      platform: event.platform, userId: event.userId, decision,
      ...(event.userName ? { displayName: event.userName } : {}),
      ...(event.groups ? { groups: event.groups } : {}),
      ...(binding.planHash ? { planHash: binding.planHash } : {}),
      ...(gateId === undefined ? {} : { gateId }),
      message: `${event.platform}:${event.channel}:${event.message}`,
    });
    logger.info({ upgradeId: binding.upgradeId, user: event.userId, platform: event.platform, decision, counted: result.counted, late: result.late, reason: result.reason }, 'reaction');
    const answer = privateAnswer(decision, binding.upgradeId, result);
    if (answer !== undefined) await answerPrivately(event, binding.upgradeId, answer);
  }

  /** In the upgrade's thread where the reaction was given; in the channel for a message outside one. */
  async function answerPrivately(event: ReactionEvent, upgradeId: string | undefined, text: string): Promise<void> {
    const adapter = adapters.get(event.platform);
    if (adapter === undefined) return;
    const root = upgradeId === undefined ? undefined : (await threads.get(upgradeId, event.platform, event.channel))?.refs['plan'];
    const where = { platform: event.platform, channel: event.channel, ...(root ? { thread: root.thread ?? root.message } : {}) };
    if (adapter.notifyUser) await adapter.notifyUser(where, event.userId, text);
    else await adapter.post(where, { text: `${event.userName ?? event.userId}: ${text}`, tone: 'warning' });
  }

  return {
    handleCommand,
    handleReaction,
    async start() {
      for (const adapter of adapters.values()) {
        adapter.onCommand(async (event) => { await handleCommand(event); });
        adapter.onReaction(async (event) => {
          await handleReaction(event).catch((error: unknown) => logger.warn({ err: error, platform: event.platform }, 'handling a reaction failed'));
        });
      }
      await Promise.all([...adapters.values()].map((adapter) => adapter.start()));
      // A restarted gateway picks its threads up again: replayed events edit the saved messages.
      for (const upgradeId of await threads.activeUpgrades()) {
        for (const record of await threads.list(upgradeId)) await follower.follow(record, record.refs);
      }
    },
    flush: (upgradeId) => follower.flush(upgradeId),
    settled: (upgradeId) => follower.settled(upgradeId),
    followUpgrade: (upgradeId, platform, channel) => follower.follow({ upgradeId, platform, channel, role: 'origin' }),
    async stop() {
      await follower.stop();
      await Promise.all([...adapters.values()].map((adapter) => adapter.stop()));
    },
  };
}
