/**
 * Drives the real engine (BullMQ on a private Redis, the SSH RemoteShell, the real planner that
 * collects facts from the hosts and calls buildPlan / buildRollbackPlan) through one upgrade or
 * rollback, approving every gate as a second person, and explains a failure step by step.
 */
import { pino } from 'pino';
import { createPlanner, lastUpgradeFromHistory } from '../../src/bot/planner.js';
import type { ClawopsConfig } from '../../src/config/schema.js';
import { createEngine, type Engine, type UpgradeCommand } from '../../src/jobs/engine.js';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import type { RemoteShell } from '../../src/remote/types.js';
import type { Plan } from '../../src/runbook/types.js';

export const requester = { platform: 'slack', userId: 'U-ALICE', displayName: 'alice' } as const;
const approver = { platform: 'slack', userId: 'U-BOB', displayName: 'bob' } as const;

/** Approvals as the suite's configs set them: alice asks, bob approves. */
export const APPROVALS = { slack: { users: ['U-ALICE', 'U-BOB'] } };

/** The engine with the composition root's planner (src/bot/planner.ts), rollbacks reading the audit trail. */
export async function startRealEngine(config: ClawopsConfig, shell: RemoteShell): Promise<Engine> {
  const holder: { engine?: Engine } = {};
  const lastUpgrade = lastUpgradeFromHistory(async (environment, limit) => {
    if (!holder.engine) throw new Error('engine not started');
    return holder.engine.audit.listHistory(environment, limit);
  });
  const planner = createPlanner({ config, shell, lastUpgrade });
  holder.engine = await createEngine({ redisUrl: config.redis.url, config, shell, logger: pino({ level: 'silent' }), planner });
  return holder.engine;
}

/** One finished run: its plan, every event, and per-step durations. */
export interface Run {
  upgradeId: string;
  plan: Plan;
  events: UpgradeEvent[];
  outcome: string;
  summary: string;
  ms: number;
  stepMs: Record<string, number>;
}

/** Submits, approves each gate as it waits, and resolves when the run succeeded (rejects, explained, otherwise or after `timeoutMs`). */
export async function runToEnd(engine: Engine, command: UpgradeCommand, timeoutMs: number, onEvent?: (event: UpgradeEvent) => void): Promise<Run> {
  const run = await runUntilFinished(engine, command, timeoutMs, onEvent);
  if (run.outcome !== 'succeeded') throw new Error(`${command.kind} ${run.upgradeId} ended ${run.outcome}: ${run.summary}\n${describeEvents(run.events)}`);
  return run;
}

/** Like runToEnd, but resolves with whatever outcome the run ends with. */
export async function runUntilFinished(engine: Engine, command: UpgradeCommand, timeoutMs: number, onEvent?: (event: UpgradeEvent) => void): Promise<Run> {
  const started = Date.now();
  const submitted = await engine.submit(command, requester);
  if (!submitted.ok) throw new Error(`${command.kind} refused (${submitted.code}): ${submitted.message}`);
  const { upgradeId, plan } = submitted;
  const events: UpgradeEvent[] = [];
  let unsubscribe: () => void = () => undefined;
  const finished = new Promise<Extract<UpgradeEvent, { type: 'finished' }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command.kind} ${upgradeId} did not finish within ${timeoutMs} ms:\n${describeEvents(events)}`)), timeoutMs);
    unsubscribe = engine.subscribe(upgradeId, (event) => {
      events.push(event);
      onEvent?.(event);
      if (event.type === 'gate-waiting') {
        void engine.decide(upgradeId, { ...approver, decision: 'approve', planHash: event.planHash }).catch(reject);
      }
      if (event.type === 'finished') {
        clearTimeout(timer);
        resolve(event);
      }
    });
  });
  try {
    const end = await finished;
    const stepMs = Object.fromEntries(events.flatMap((event) => event.type === 'step-finished' || event.type === 'step-failed' ? [[event.stepId, event.durationMs]] : []));
    return { upgradeId, plan, events, outcome: end.outcome, summary: end.summary, ms: Date.now() - started, stepMs };
  } finally {
    unsubscribe();
  }
}

/** Step-by-step account of a run, failures with their output. */
export function describeEvents(events: readonly UpgradeEvent[]): string {
  return events.map((event) => {
    switch (event.type) {
      case 'step-finished': return `  ok   ${event.stepId} (${event.durationMs} ms)`;
      case 'step-failed': return `  FAIL ${event.stepId} (${event.durationMs} ms, exit ${event.exitCode ?? '-'}): ${event.error}\n${indent(event.excerpt)}`;
      case 'step-skipped': return `  skip ${event.stepId}: ${event.reason}`;
      case 'gate-waiting': return `  gate ${event.gateId} waiting`;
      case 'gate-passed': return `  gate ${event.gateId} passed`;
      case 'log': return `  log  ${event.level}: ${event.message}`;
      case 'finished': return `  finished ${event.outcome}: ${event.summary}`;
      default: return null;
    }
  }).filter((line) => line !== null).join('\n');
}

function indent(text: string): string {
  return text.split('\n').map((line) => `         | ${line}`).join('\n');
}

/** The plan's step ids, for asserting what ran. */
export function stepIds(plan: Plan): string[] {
  return plan.steps.map((step) => step.id);
}
