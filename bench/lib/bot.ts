/**
 * Runs one upgrade through the real engine (BullMQ worker in this process) and planner, the
 * way the chat gateway does, approving every gate as a second person the moment it waits.
 */
import type { ClawopsConfig } from '../../src/config/schema.js';
import { createPlanner } from '../../src/bot/planner.js';
import { createEngine, type Engine } from '../../src/jobs/engine.js';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import type { RemoteShell } from '../../src/remote/types.js';
import type { Plan } from '../../src/runbook/types.js';
import { APPROVER, REQUESTER, silentLogger } from './stack.js';

export interface BotRun {
  upgradeId: string;
  plan: Plan;
  outcome: string;
  summary: string;
  /** submit() → `finished` (planning included). */
  totalMs: number;
  /** submit() → plan returned (facts, changelogs, plan build, enqueue). */
  planMs: number;
  /** Events with the local time they arrived. */
  events: Array<{ at: number; event: UpgradeEvent }>;
}

export async function openEngine(config: ClawopsConfig, shell: RemoteShell, concurrency?: number): Promise<Engine> {
  return createEngine({
    config, shell, logger: silentLogger(), planner: createPlanner({ config, shell }),
    ...(concurrency === undefined ? {} : { worker: { concurrency } }),
  });
}

/** Submits `upgrade <version> --env <environment>` and waits for the upgrade to finish. */
export async function botUpgrade(engine: Engine, version: string, environment: string, timeoutMs = 600_000): Promise<BotRun> {
  const started = performance.now();
  const result = await engine.submit({ kind: 'upgrade', version, environment, dryRun: false, skipStaging: true }, REQUESTER);
  const planMs = performance.now() - started;
  if (!result.ok) throw new Error(`upgrade refused: ${result.code}: ${result.message}`);
  const events: BotRun['events'] = [];
  const finished = await new Promise<Extract<UpgradeEvent, { type: 'finished' }>>((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`upgrade ${result.upgradeId} did not finish in ${timeoutMs} ms`)); }, timeoutMs);
    const stop = engine.subscribe(result.upgradeId, (event) => {
      events.push({ at: performance.now(), event });
      if (event.type === 'gate-waiting') {
        void engine.decide(result.upgradeId, { ...APPROVER, planHash: event.planHash }).catch(reject);
      }
      if (event.type === 'finished') {
        clearTimeout(timer);
        stop();
        resolve(event);
      }
    });
  });
  return { upgradeId: result.upgradeId, plan: result.plan, outcome: finished.outcome, summary: finished.summary, totalMs: performance.now() - started, planMs, events };
}
