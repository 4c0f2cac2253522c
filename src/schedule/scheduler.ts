/**
 * Scheduled upgrades in low-traffic windows, announced to the team. The bot calls the hooks
 * (`schedule`, `list`, `cancel`, `onReaction`); everything durable is in Redis and BullMQ
 * (runner.ts), so a restarted bot — or Redis restarted with AOF — carries on without posting
 * an announcement twice.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import type { ClawopsConfig } from '../config/schema.js';
import { isClawopsError } from '../errors.js';
import type { UpgradeEngine } from '../jobs/api.js';
import { isApprover } from '../jobs/approvals.js';
import type { Requester } from '../jobs/events.js';
import { selectEnvironment } from '../runbook/select.js';
import { displayReaction } from '../chat/render/format.js';
import { formatWhen } from './announce.js';
import { postponeTarget, resolveTime } from './resolve.js';
import { SCHEDULE_QUEUE, createRunner } from './runner.js';
import { ScheduleStore } from './store.js';
import { createTrafficSampler, type TrafficSampler } from './traffic.js';
import type { Announcer, ScheduledUpgrade, UpgradeCommand } from './types.js';

export interface SchedulerOptions {
  /** ioredis connection with `maxRetriesPerRequest: null` (BullMQ); not closed by `close()`. */
  connection: Redis;
  config: ClawopsConfig;
  engine: UpgradeEngine;
  announcer: Announcer;
  clock?: () => number;
  logger: Logger;
  queueName?: string;
  /** Process due schedule jobs in this process (default true). */
  worker?: boolean;
  /** Where `--window auto` reads its histogram; default: the Redis histogram traffic.ts writes. */
  traffic?: Pick<TrafficSampler, 'loadHistogram'>;
  newScheduleId?: (now: number) => string;
}

export type ScheduleResult =
  | { ok: true; schedule: ScheduledUpgrade; message: string }
  | { ok: false; message: string };

/** A reaction as the chat adapters report it (ReactionEvent of src/chat/types.ts fits). */
export interface ScheduleReaction {
  platform: 'slack' | 'discord' | 'terminal';
  channel: string;
  message: string;
  userId: string;
  userName?: string;
  groups?: string[];
  reaction: string;
}

/** `handled`: the reaction was on a schedule announcement (the bot does nothing else with it); `note`: tell the thread; `answer`: tell only the person. */
export interface ReactionOutcome {
  handled: boolean;
  note?: string;
  answer?: string;
}

export interface Scheduler {
  /** `upgrade … --at/--window`: resolves the time, dry-runs the plan, stores, enqueues and announces. */
  schedule(command: UpgradeCommand, requester: Requester): Promise<ScheduleResult>;
  /** Scheduled and running scheduled upgrades, in start order. */
  list(): Promise<ScheduledUpgrade[]>;
  /** Removes a schedule's delayed jobs and announces the cancel; a started one is cancelled with `cancel <upgrade id>`. */
  cancel(id: string, by: Requester): Promise<{ ok: boolean; message: string }>;
  /** 🛑 (approvers) postpones to the next window; ✅ stores an advance approval. */
  onReaction(event: ScheduleReaction): Promise<ReactionOutcome>;
  /** Promotes the jobs that are due by the injected clock (tests; harmless in production). */
  tick(): Promise<number>;
  close(): Promise<void>;
}

export function newScheduleId(now: number): string {
  const stamp = new Date(now).toISOString().slice(0, 16).replace(/[-:T]/g, '');
  return `sch-${stamp}-${randomBytes(3).toString('hex')}`;
}

export async function createScheduler(options: SchedulerOptions): Promise<Scheduler> {
  const { config, engine } = options;
  const clock = options.clock ?? Date.now;
  const zone = config.schedule.timezone;
  const store = new ScheduleStore(options.connection, config.redis.prefix);
  const traffic = options.traffic ?? createTrafficSampler({ redis: options.connection, prefix: config.redis.prefix, timezone: zone, readCount: async () => 0 });
  const runner = createRunner({
    connection: options.connection, config, engine, announcer: options.announcer, store, clock, logger: options.logger,
    queueName: options.queueName ?? SCHEDULE_QUEUE, worker: options.worker ?? true,
  });
  const now = () => DateTime.fromMillis(clock(), { zone });
  const iso = (time: DateTime) => time.toUTC().toISO() ?? '';
  const who = (person: { userId: string; displayName?: string; userName?: string }) => person.displayName ?? person.userName ?? person.userId;

  // After a restart: keep following upgrades that started before it (their finish is still to announce).
  for (const schedule of await store.all()) if (schedule.status === 'running') runner.follow(schedule);

  async function postpone(schedule: ScheduledUpgrade, by: string): Promise<ReactionOutcome> {
    const target = postponeTarget(schedule, config, now());
    if (!target.ok) return { handled: true, note: `cannot postpone ${schedule.id}: ${target.message}` };
    // Two approvers reacting at once postpone once.
    if (!(await store.claimAnnouncement(schedule.id, `postpone-from-r${schedule.revision}`))) return { handled: true, note: `${schedule.id} was just postponed` };
    await runner.removeJobs(schedule);
    const { note: _note, windowEnd: _end, window: _window, ...rest } = schedule;
    const moved: ScheduledUpgrade = {
      ...rest, at: iso(target.at), source: target.source, revision: schedule.revision + 1, postponedBy: by,
      ...(target.windowEnd ? { windowEnd: iso(target.windowEnd) } : {}), ...(target.window ? { window: target.window } : {}),
    };
    await store.save(moved);
    await runner.enqueue(moved);
    await runner.announceOnce(moved, `postponed-r${moved.revision}`, 'postponed', { by, previousAt: schedule.at });
    return { handled: true, note: `${schedule.id} postponed by ${by} to ${formatWhen(moved.at, zone)}` };
  }

  return {
    async schedule(command, requester) {
      const spec = command.schedule;
      if (spec === undefined) return { ok: false, message: 'give --at <time> or --window next|auto to schedule an upgrade' };
      let environment: string;
      try {
        environment = selectEnvironment(config, command.environment).name;
      } catch (error) {
        if (isClawopsError(error)) return { ok: false, message: error.message };
        throw error;
      }
      const histogram = spec.kind === 'window' && spec.which === 'auto' ? await traffic.loadHistogram(environment) : undefined;
      const when = resolveTime(spec, config, environment, now(), histogram);
      if (!when.ok) return { ok: false, message: when.message };

      const id = (options.newScheduleId ?? newScheduleId)(clock());
      const upgradeId = `up-${id.replace(/^sch-/, '')}`;
      const { schedule: _schedule, ...rest } = command;
      const runCommand: UpgradeCommand = { ...rest, environment, dryRun: false };
      const dry = await engine.submit({ ...runCommand, dryRun: true }, requester, { upgradeId, quiet: true });
      if (!dry.ok) return { ok: false, message: `cannot schedule it: ${dry.message}` };

      const schedule: ScheduledUpgrade = {
        id, upgradeId, command: runCommand, requester, environment: dry.plan.environment, version: dry.plan.toVersion, strategy: dry.plan.strategy,
        at: iso(when.at), source: when.source, expectedDowntime: dry.plan.expectedDowntime, planHash: dry.plan.hash,
        status: 'scheduled', revision: 0, createdAt: iso(now()),
        ...(when.windowEnd ? { windowEnd: iso(when.windowEnd) } : {}), ...(when.window ? { window: when.window } : {}), ...(when.note ? { note: when.note } : {}),
      };
      await store.save(schedule);
      await runner.enqueue(schedule);
      await runner.announceOnce(schedule, 'scheduled', 'scheduled');
      const message = `Scheduled ${id}: OpenClaw ${schedule.version} on ${schedule.environment} at ${formatWhen(schedule.at, zone)}` +
        `${schedule.window ? ` (window ${schedule.window})` : ''}.${when.note ? ` ${when.note}.` : ''} Cancel with \`schedule cancel ${id}\`.`;
      return { ok: true, schedule, message };
    },

    async list() {
      return (await store.all()).filter((schedule) => schedule.status === 'scheduled' || schedule.status === 'running');
    },

    async cancel(id, by) {
      const schedule = await store.get(id);
      if (!schedule) return { ok: false, message: `no scheduled upgrade ${id} (see schedule list)` };
      if (schedule.status === 'running') return { ok: false, message: `${id} already started as upgrade ${schedule.upgradeId}; stop it with \`cancel ${schedule.upgradeId}\`` };
      if (schedule.status !== 'scheduled') return { ok: false, message: `${id} is already ${schedule.status}` };
      if (!(await store.claimAnnouncement(id, 'cancelled'))) return { ok: false, message: `${id} is already cancelled` };
      const cancelled: ScheduledUpgrade = { ...schedule, status: 'cancelled', cancelledBy: who(by) };
      await store.save(cancelled);
      await runner.removeJobs(schedule);
      const posts = await options.announcer.announce('cancelled', cancelled, { by: who(by) });
      await store.saveMessages(id, posts);
      return { ok: true, message: `cancelled ${id} (OpenClaw ${schedule.version} on ${schedule.environment} at ${formatWhen(schedule.at, zone)})` };
    },

    async onReaction(event) {
      const reactions = config.approvals.reactions;
      const postponing = reactions.postpone.includes(event.reaction);
      const approving = reactions.approve.includes(event.reaction);
      const id = await store.scheduleOfMessage(event);
      if (id === null) return { handled: false };
      if (!postponing && !approving) {
        return { handled: true, answer: `${displayReaction([event.reaction])} does nothing here: react ${displayReaction(reactions.postpone)} to postpone (approvers only) or ${displayReaction(reactions.approve)} to pre-approve.` };
      }
      const schedule = await store.get(id);
      if (!schedule) return { handled: true, note: 'that scheduled upgrade no longer exists' };
      if (schedule.status !== 'scheduled') return { handled: true, note: `${id} is ${schedule.status}; reactions on its announcements no longer change it` };
      const person = who(event);
      const approver = isApprover(config.approvals, { platform: event.platform, userId: event.userId, ...(event.groups ? { groups: event.groups } : {}) });
      if (postponing) {
        if (!approver) return { handled: true, note: `${person} is not an approver, so the postpone was ignored; ${id} still starts at ${formatWhen(schedule.at, zone)}` };
        return postpone(schedule, person);
      }
      if (!approver) return { handled: true, note: `${person} is not an approver; the pre-approval was not recorded` };
      await store.addAdvanceApproval(id, {
        platform: event.platform, userId: event.userId, planHash: schedule.planHash, at: iso(now()),
        ...(event.userName ? { displayName: event.userName } : {}), ...(event.groups ? { groups: event.groups } : {}),
      });
      return { handled: true, note: `pre-approved by ${person} for plan ${schedule.planHash}; it counts at the upgrade's gates if the plan is unchanged by then` };
    },

    tick: () => runner.tick(),
    close: () => runner.close(),
  };
}
