/**
 * Shared by the engine-batch e2e files: a fleet of local "hosts" (test/harness/local-shell runs
 * every host's argv on this machine) in one environment with `parallelism` and
 * `maxFailPercent`, plans of per-host chains in rolling batches, and event timing helpers.
 */
import { Redis } from 'ioredis';
import { configSchema, type ClawopsConfig } from '../../src/config/schema.js';
import { createEngine, type Engine } from '../../src/jobs/engine.js';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import type { Plan, PlanStep } from '../../src/runbook/types.js';
import type { RemoteShell } from '../../src/remote/types.js';
import { HOST_KEY, makePlan, quietLogger, shStep } from '../jobs/fixtures.js';

export const ENV = 'production';

/** The fleet config as input (JSON-able, for a worker child process) with `count` hosts host-1…host-N. */
export function batchConfigInput(options: { prefix: string; redisUrl: string; hosts: number; parallelism: number; maxFailPercent?: number }): Record<string, unknown> {
  return {
    environments: {
      [ENV]: {
        parallelism: options.parallelism,
        maxFailPercent: options.maxFailPercent ?? 0,
        hosts: Array.from({ length: options.hosts }, (_, index) => ({ name: `host-${index + 1}`, address: '127.0.0.1', hostKey: HOST_KEY, strategy: { kind: 'pm2' } })),
      },
    },
    approvals: { slack: { users: ['U-ALICE', 'U-BOB'], userGroups: [] } },
    redis: { prefix: options.prefix, url: options.redisUrl },
  };
}

/** A step of `host`'s chain in rolling `batch` running `sh -c script`. */
export function batchStep(host: string, suffix: string, batch: number, script: string, extra: Partial<PlanStep> = {}): PlanStep {
  return { ...shStep(`${host}:${suffix}`, script, { host, environment: ENV, ...extra }), phase: 'rollout', batch };
}

/** A fleet-wide step after the rollout (like the plan's record step: a notify, no host). */
export function fleetStep(id: string, message: string): PlanStep {
  return { id, title: id, kind: 'notify', environment: ENV, action: { type: 'notify', message }, timeoutMs: 5_000, safeToRepeat: true, phase: 'record' };
}

export function batchPlan(steps: PlanStep[], gates: Plan['gates'] = []): Plan {
  return makePlan(steps, { environment: ENV, gates });
}

export interface BatchEngine {
  engine: Engine;
  config: ClawopsConfig;
  setPlan(plan: Plan): void;
  close(): Promise<void>;
}

export async function startBatchEngine(configInput: Record<string, unknown>, shell: RemoteShell, options: { worker?: boolean } = {}): Promise<BatchEngine> {
  const config = configSchema.parse(configInput);
  let next: Plan | undefined;
  const connection = new Redis(config.redis.url, { maxRetriesPerRequest: null });
  const engine = await createEngine({
    connection, config, shell, logger: quietLogger(),
    planner: async () => {
      if (!next) throw new Error('no plan set');
      return next;
    },
    ...(options.worker === undefined ? {} : { worker: options.worker }),
  });
  return {
    engine, config,
    setPlan(plan) { next = plan; },
    async close() {
      await engine.close();
      await connection.quit();
    },
  };
}

type Timed = Extract<UpgradeEvent, { type: 'step-started' | 'step-finished' | 'step-failed' }>;

/** When each step started and ended (epoch ms), from the events. */
export function stepTimes(events: readonly UpgradeEvent[]): Map<string, { start: number; end?: number }> {
  const times = new Map<string, { start: number; end?: number }>();
  for (const event of events) {
    if (event.type !== 'step-started' && event.type !== 'step-finished' && event.type !== 'step-failed') continue;
    const timed = event as Timed;
    const at = Date.parse(timed.at);
    if (timed.type === 'step-started') times.set(timed.stepId, { start: at });
    else {
      const entry = times.get(timed.stepId);
      if (entry) entry.end = at;
    }
  }
  return times;
}

export function startedIds(events: readonly UpgradeEvent[]): string[] {
  return events.flatMap((event) => event.type === 'step-started' ? [event.stepId] : []);
}
