/** Starts an engine on a private Redis with the local shell, and records events per upgrade. */
import { Redis } from 'ioredis';
import type { Command } from '../../src/commands/types.js';
import { createEngine, type Engine } from '../../src/jobs/engine.js';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import type { Plan } from '../../src/runbook/types.js';
import type { RemoteShell } from '../../src/remote/types.js';
import { quietLogger, testConfig } from './fixtures.js';

export interface EventLog {
  events: UpgradeEvent[];
  waitFor(predicate: (event: UpgradeEvent) => boolean, timeoutMs?: number): Promise<UpgradeEvent>;
  stop(): void;
}

export function record(engine: Pick<Engine, 'subscribe'>, upgradeId: string): EventLog {
  const events: UpgradeEvent[] = [];
  const waiters = new Set<() => void>();
  const stop = engine.subscribe(upgradeId, (event) => {
    events.push(event);
    for (const wake of waiters) wake();
  });
  return {
    events,
    stop,
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(predicate);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; events so far: ${events.map((event) => event.type + ('stepId' in event ? `:${event.stepId}` : '')).join(', ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

export function upgradeCommand(environment = 'staging', dryRun = false): Extract<Command, { kind: 'upgrade' }> {
  return { kind: 'upgrade', version: '2026.9.2', environment, dryRun, skipStaging: false };
}

export interface Harness {
  engine: Engine;
  /** The plan the planner returns next. */
  setPlan(plan: Plan): void;
  redis: Redis;
  close(): Promise<void>;
}

export async function startEngine(redisUrl: string, shell: RemoteShell, options: { prefix: string; approvals?: Record<string, unknown>; gateTimeoutMs?: number; worker?: boolean }): Promise<Harness> {
  let next: Plan | undefined;
  const config = testConfig({ prefix: options.prefix, ...(options.approvals ? { approvals: options.approvals } : {}) });
  const engine = await createEngine({
    redisUrl, config, shell, logger: quietLogger(),
    planner: async (command) => {
      if (!next) throw new Error('no plan set');
      return { ...next, environment: command.environment ?? next.environment };
    },
    ...(options.gateTimeoutMs === undefined ? {} : { gateTimeoutMs: options.gateTimeoutMs }),
    ...(options.worker === undefined ? {} : { worker: options.worker }),
  });
  const redis = new Redis(redisUrl);
  return {
    engine, redis,
    setPlan(plan) { next = plan; },
    async close() {
      await engine.close();
      redis.disconnect();
    },
  };
}
