/**
 * Wires the real parts together: Redis, the SSH shell, the engine (and optionally its worker),
 * the chat gateway with the configured platforms. `clawops start`, `gateway`, `worker`, `say`
 * and `demo` differ only in which of these they ask for.
 */
import { Redis } from 'ioredis';
import type { ClawopsConfig } from '../config/schema.js';
import { ClawopsError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { createSshShell } from '../remote/ssh-shell.js';
import type { RemoteShell } from '../remote/types.js';
import { createEngine, type Engine } from '../jobs/engine.js';
import { createPlanner, lastUpgradeFromHistory, npmPackChangelogs } from '../bot/planner.js';
import { createBot, type Bot } from '../bot/bot.js';
import { ThreadStore } from '../bot/thread-store.js';
import { createQueryService } from '../bot/queries.js';
import type { ChatAdapter } from '../chat/types.js';
import { AuditStore } from '../audit/store.js';
import { createScheduler, type Scheduler } from '../schedule/scheduler.js';
import { createChatAnnouncer, scheduleBotHooks } from '../schedule/bot-hooks.js';
import { renderScheduleList } from '../schedule/announce.js';
import { createTrafficSampler, parseStubStatus, startTrafficSampling, type CountReader } from '../schedule/traffic.js';
import { toRemoteTarget } from '../jobs/targets.js';

export interface RuntimeOptions {
  config: ClawopsConfig;
  logger: Logger;
  /** Run upgrade steps in this process (default true). */
  worker?: boolean;
  /** Chat adapters to serve; none = no gateway (a pure worker). */
  adapters?: readonly ChatAdapter[];
  shell?: RemoteShell;
  editIntervalMs?: number;
  /** How long a gate waits for approvals (default `approvals.deadlineMinutes`); tests shorten it. */
  gateTimeoutMs?: number;
}

export interface Runtime {
  config: ClawopsConfig;
  engine: Engine;
  bot?: Bot;
  shell: RemoteShell;
  redis: Redis;
  stop(): Promise<void>;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, logger } = options;
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: null, lazyConnect: true });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new ClawopsError('INTERNAL', `cannot reach Redis at ${redactUrl(config.redis.url)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const shell = options.shell ?? createSshShell({ logger });
  const history = new AuditStore(redis, config.redis.prefix);
  const planner = createPlanner({
    config, shell,
    lastUpgrade: lastUpgradeFromHistory((environment, limit) => history.listHistory(environment, limit)),
  });
  const engine = await createEngine({ connection: redis, config, shell, planner, logger, worker: options.worker ?? true,
    ...(options.gateTimeoutMs === undefined ? {} : { gateTimeoutMs: options.gateTimeoutMs }),
  });
  let bot: Bot | undefined;
  let scheduler: Scheduler | undefined;
  let sampling: { stop(): Promise<void> } | undefined;
  const adapters = options.adapters ?? [];
  const stop = async () => {
    // Every part is stopped even when one before it fails: a chat client that cannot stop must
    // not leave the scheduler, the worker and Redis holding the process open.
    const parts: Array<[string, () => Promise<unknown> | undefined]> = [
      ['chat', () => bot?.stop()],
      ['traffic sampling', () => sampling?.stop()],
      ['scheduler', () => scheduler?.close()],
      ['engine', () => engine.close()],
      ['ssh', () => shell.close()],
    ];
    const failures: unknown[] = [];
    for (const [part, stopPart] of parts) {
      try {
        await stopPart();
      } catch (error) {
        failures.push(error);
        logger.warn({ err: error, part }, 'stopping a part of clawops failed');
      }
    }
    await redis.quit().catch(() => redis.disconnect());
    if (failures.length > 0) throw failures[0];
  };
  try {
    await startChat();
  } catch (error) {
    // A chat platform that refuses to start (bad token, unreachable API) must not leave Redis
    // connections, the worker and half-started clients (the other platform still connecting)
    // holding the process open after the error. Adapters stop as a no-op when they never started.
    await Promise.all(adapters.map((adapter) => adapter.stop().catch(() => undefined)));
    await stop().catch(() => undefined);
    throw error;
  }
  return { config, engine, shell, redis, ...(bot ? { bot } : {}), stop };

  async function startChat(): Promise<void> {
    if (adapters.length === 0) return;
    const threads = new ThreadStore(redis, config.redis.prefix);
    const queries = createQueryService({
      config, shell, audit: engine.audit,
      changelogs: (cfg, host) => npmPackChangelogs(shell, cfg, host),
      activeUpgrades: () => threads.activeUpgrades(),
      scheduledUpgrades: async () => {
        const schedules = (await scheduler?.list()) ?? [];
        return schedules.length === 0 ? [] : renderScheduleList(schedules, config.schedule.timezone).split('\n');
      },
    });
    const sampler = createTrafficSampler({ redis, prefix: config.redis.prefix, timezone: config.schedule.timezone, readCount: stubStatusReader(config, shell), logger });
    const announcer = createChatAnnouncer(adapters, config);
    scheduler = await createScheduler({
      connection: redis, config, engine, logger, traffic: sampler,
      announcer: {
        // A scheduled upgrade gets its thread (checklist, approval requests) under the "starting" announcement's channel.
        async announce(kind, schedule, extra) {
          const posts = await announcer.announce(kind, schedule, extra);
          if (kind === 'starting' && schedule.upgradeId) {
            for (const post of posts) await bot?.followUpgrade(schedule.upgradeId, post.platform, post.channel);
          }
          return posts;
        },
      },
    });
    if (Object.values(config.environments).some((env) => env.hosts.some((host) => host.trafficUrl))) {
      sampling = await startTrafficSampling({ connection: redis, config, sampler, logger });
    }
    const hooks = scheduleBotHooks(scheduler, config);
    const activeScheduler = scheduler;
    bot = createBot({
      adapters, engine, audit: engine.audit, config, threads, queries, logger,
      schedule: hooks.schedule, scheduleCommands: hooks.scheduleCommands, scheduleReaction: (event) => activeScheduler.onReaction(event),
      ...(options.editIntervalMs === undefined ? {} : { editIntervalMs: options.editIntervalMs }),
    });
    await bot.start();
  }
}

/** Chat adapters for the platforms the config enables (loaded lazily: discord.js and Bolt are heavy). */
export async function configuredAdapters(config: ClawopsConfig, logger: Logger): Promise<ChatAdapter[]> {
  const adapters: ChatAdapter[] = [];
  if (config.chat.slack) {
    const { createSlackAdapter } = await import('../chat/slack/index.js');
    adapters.push(createSlackAdapter({ config: config.chat.slack, logger }));
  }
  if (config.chat.discord) {
    const { createDiscordAdapter } = await import('../chat/discord/index.js');
    adapters.push(createDiscordAdapter({ config: config.chat.discord, logger }));
  }
  return adapters;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** Reads a host's nginx stub_status counter over SSH (curl on the host, so loopback-only status pages work). */
function stubStatusReader(config: ClawopsConfig, shell: RemoteShell): CountReader {
  return async (name, signal) => {
    const host = Object.values(config.environments).flatMap((env) => env.hosts).find((candidate) => candidate.name === name);
    if (!host?.trafficUrl) throw new ClawopsError('NOT_FOUND', `${name} has no trafficUrl`);
    const result = await shell.run(toRemoteTarget(host), ['curl', '-fsS', '--max-time', '5', host.trafficUrl], { timeoutMs: 10_000, ...(signal ? { signal } : {}) });
    if (result.exitCode !== 0) throw new ClawopsError('HEALTH_FAILED', `curl ${host.trafficUrl} on ${name} exited ${result.exitCode}`);
    return parseStubStatus(result.stdout);
  };
}
