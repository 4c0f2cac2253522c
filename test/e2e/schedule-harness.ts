/**
 * A real engine (createEngine + local shell + a planner returning a small plan) and a real
 * scheduler on a private Redis, with a controllable clock: tests move `clock.now` and call
 * `scheduler.tick()` instead of waiting hours. The announcer records what the bot would post.
 */
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { renderAnnouncement } from '../../src/schedule/announce.js';
import { createScheduler, type Scheduler } from '../../src/schedule/scheduler.js';
import type { AnnouncementExtra, AnnouncementKind, AnnouncementPost, Announcer, ScheduledUpgrade, UpgradeCommand } from '../../src/schedule/types.js';
import { configSchema, type ClawopsConfig } from '../../src/config/schema.js';
import type { ChatMessage } from '../../src/chat/types.js';
import { createEngine, type Engine } from '../../src/jobs/engine.js';
import type { Plan } from '../../src/runbook/types.js';
import { createLocalShell } from '../harness/local-shell.js';
import { HOST_KEY, makePlan, quietLogger, shStep } from '../jobs/fixtures.js';

export interface Clock { now: number; set(iso: string): void; read: () => number }

export function fakeClock(iso: string): Clock {
  const clock: Clock = {
    now: Date.parse(iso),
    set(value) { clock.now = Date.parse(value); },
    read: () => clock.now,
  };
  return clock;
}

export interface Announced { kind: AnnouncementKind; schedule: ScheduledUpgrade; extra?: AnnouncementExtra; message: ChatMessage; ref: AnnouncementPost }

export class RecordingAnnouncer implements Announcer {
  readonly posts: Announced[] = [];
  private static counter = 0;
  constructor(private readonly timeZone: string) {}
  async announce(kind: AnnouncementKind, schedule: ScheduledUpgrade, extra?: AnnouncementExtra): Promise<AnnouncementPost[]> {
    RecordingAnnouncer.counter += 1;
    const ref = { platform: 'slack' as const, channel: 'C-ANNOUNCE', message: `m${RecordingAnnouncer.counter}` };
    this.posts.push({ kind, schedule, ...(extra ? { extra } : {}), message: renderAnnouncement(kind, schedule, this.timeZone, extra), ref });
    return [ref];
  }
  kinds(): string[] {
    return this.posts.map((post) => post.kind + (post.extra?.minutesBefore ? `-${post.extra.minutesBefore}` : ''));
  }
}

export const nightly = { name: 'nightly', timezone: 'Europe/Berlin', weekly: [{ days: ['sat', 'sun'], start: '02:00', end: '05:00' }] };

export function scheduleConfig(prefix: string, extra: { windows?: unknown[]; minApprovers?: number } = {}): ClawopsConfig {
  return configSchema.parse({
    environments: {
      staging: { hosts: [{ name: 'host-a', address: '127.0.0.1', hostKey: HOST_KEY, strategy: { kind: 'pm2' } }] },
      production: { hosts: [{ name: 'host-b', address: '127.0.0.1', hostKey: HOST_KEY, strategy: { kind: 'pm2' } }] },
    },
    approvals: { slack: { users: ['U-ALICE', 'U-BOB'], userGroups: ['S-OPS'] }, minApprovers: extra.minApprovers ?? 1 },
    windows: extra.windows ?? [nightly],
    schedule: { timezone: 'Europe/Berlin' },
    redis: { prefix },
  });
}

export function defaultPlan(marker: string): Plan {
  return makePlan([
    shStep('backup', `echo backup >> ${marker}`, { host: 'host-b', environment: 'production' }),
    shStep('switch', `echo switch >> ${marker}`, { kind: 'switch', host: 'host-b', environment: 'production' }),
  ], { environment: 'production' });
}

export interface Stack {
  engine: Engine;
  scheduler: Scheduler;
  announcer: RecordingAnnouncer;
  connection: Redis;
  /** The plan the planner returns next (per call: the dry run, then the run). */
  plans: Plan[];
  close(): Promise<void>;
}

/** One "bot process": engine + scheduler on the given Redis. */
export async function startStack(redisUrl: string, config: ClawopsConfig, clock: Clock, plans: Plan[], options: { gateTimeoutMs?: number } = {}): Promise<Stack> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const engine = await createEngine({
    connection, config, shell: createLocalShell(), logger: quietLogger(), clock: clock.read,
    ...(options.gateTimeoutMs === undefined ? {} : { gateTimeoutMs: options.gateTimeoutMs }),
    planner: async (command) => {
      const plan = plans.length > 1 ? plans.shift() : plans[0];
      if (!plan) throw new Error('no plan set');
      return { ...plan, environment: command.environment ?? plan.environment };
    },
  });
  const announcer = new RecordingAnnouncer(config.schedule.timezone);
  const scheduler = await createScheduler({ connection, config, engine, announcer, clock: clock.read, logger: quietLogger() });
  return {
    engine, scheduler, announcer, connection, plans,
    async close() {
      await scheduler.close();
      await engine.close();
      connection.disconnect();
    },
  };
}

export function upgradeAt(text: string, environment = 'production'): UpgradeCommand {
  return { kind: 'upgrade', version: '2026.9.2', environment, schedule: { kind: 'at', text }, dryRun: false, skipStaging: false };
}

export function upgradeInWindow(which: 'next' | 'auto', environment = 'production'): UpgradeCommand {
  return { kind: 'upgrade', version: '2026.9.2', environment, schedule: { kind: 'window', which }, dryRun: false, skipStaging: false };
}

export function utc(iso: string): string {
  return DateTime.fromISO(iso).toUTC().toISO() ?? '';
}

export function minus(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) - minutes * 60_000).toISOString();
}
