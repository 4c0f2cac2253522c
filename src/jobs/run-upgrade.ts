/**
 * The processor of one upgrade job: walks the plan from the saved cursor, passing gates,
 * checking for cancel before each step, and deciding what to do with a step a crash
 * interrupted (repeat it, verify it, or ask).
 */
import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { ClawopsConfig, HostConfig } from '../config/schema.js';
import { isClawopsError } from '../errors.js';
import type { PlanGate, PlanStep } from '../runbook/types.js';
import type { RemoteShell } from '../remote/types.js';
import { executeStep, outputExcerpt } from './execute-step.js';
import { passGate } from './gates.js';
import { gatesBefore, type UpgradeJobData, type UpgradeJobResult, type UpgradeOutcome } from './queue.js';
import type { JobServices } from './services.js';
import { findHost, toRemoteTarget } from './targets.js';

export interface RunDeps {
  services: JobServices;
  config: ClawopsConfig;
  shell: RemoteShell;
  logger: Logger;
  gateTimeoutMs: number;
}

const TRANSIENT = new Set(['SSH_CONNECT_FAILED', 'SSH_DISCONNECTED']);
const BAD_INPUT = new Set(['PLAN_INVALID', 'UNKNOWN_HOST', 'UNKNOWN_ENVIRONMENT', 'NOT_AUTHORIZED', 'HOST_KEY_MISMATCH', 'CONFIG_INVALID']);

/** Ends an upgrade once: emits `finished`, frees the environment lock. Safe to call from several places. */
export async function finishUpgrade(services: JobServices, data: Pick<UpgradeJobData, 'upgradeId' | 'plan'>, outcome: UpgradeOutcome, summary: string, jobId = data.upgradeId): Promise<void> {
  const first = await services.claimFinish(data.upgradeId);
  // Free the lock before saying "finished": whoever reads that may start the next upgrade at once.
  await services.locks.release(data.plan.environment, data.upgradeId);
  if (first) {
    await services.approvals.clearWaiting(jobId);
    await services.emit({ type: 'finished', upgradeId: data.upgradeId, outcome, summary });
  }
}

/** Job data with the optional window deadline a scheduled upgrade carries (src/schedule). */
export type DeadlinedJobData = UpgradeJobData & { notAfter?: string };

export async function runUpgrade(job: Job<UpgradeJobData>, token: string | undefined, signal: AbortSignal | undefined, deps: RunDeps): Promise<UpgradeJobResult> {
  const { services } = deps;
  const data = job.data;
  const { upgradeId, plan, cursor } = data;
  const log = deps.logger.child({ upgradeId, environment: plan.environment });
  const save = async () => { await job.updateData({ ...data, cursor }); };
  const emitLog = (level: 'info' | 'warn' | 'error', message: string) => services.emit({ type: 'log', upgradeId, level, message });
  const finish = async (outcome: UpgradeOutcome, summary: string): Promise<UpgradeJobResult> => {
    await finishUpgrade(services, data, outcome, summary, job.id);
    return { outcome, summary };
  };
  const proposeRollback = async (reason: string) => {
    await services.emit({ type: 'rollback-proposed', upgradeId, reason, rollbackId: `rollback-${upgradeId}` });
  };
  const fail = async (summary: string): Promise<never> => {
    await finish('failed', summary);
    throw new UnrecoverableError(summary);
  };
  const gateDeps = { services, approvalsConfig: deps.config.approvals, gateTimeoutMs: deps.gateTimeoutMs };

  if (await services.isFinished(upgradeId)) return { outcome: 'cancelled', summary: 'already finished' };

  /** Returns an outcome that ends the upgrade, or null when the gate passed. */
  const gate = async (planGate: PlanGate): Promise<UpgradeJobResult | null> => {
    const result = await passGate(job, token, planGate, gateDeps, save);
    if (result.kind === 'passed') return null;
    if (result.kind === 'rejected') {
      if (cursor.switched) await proposeRollback(`gate "${planGate.title}" rejected by ${result.by} after traffic was switched`);
      return finish('cancelled', `rejected by ${result.by} at "${planGate.title}"`);
    }
    if (cursor.switched) await proposeRollback(`gate "${planGate.title}" expired after traffic was switched`);
    return finish('expired', `nobody approved "${planGate.title}" in time; ${cursor.switched ? 'traffic is on the new version' : 'traffic was left where it was'}`);
  };

  while (cursor.next < plan.steps.length) {
    const step = plan.steps[cursor.next] as PlanStep;
    const cancelledBy = await services.cancelRequestedBy(upgradeId);
    if (cancelledBy !== null) {
      if (cursor.switched) await proposeRollback(`cancelled by ${cancelledBy} after traffic was switched`);
      return finish('cancelled', `cancelled by ${cancelledBy} before "${step.title}" (${cursor.done.length}/${plan.steps.length} steps done)`);
    }
    if (signal?.aborted) return parkForShutdown(job, token);

    for (const planGate of gatesBefore(plan, step)) {
      if (cursor.passedGates.includes(planGate.id)) continue;
      const ended = await gate(planGate);
      if (ended) return ended;
    }

    // A scheduled upgrade whose window closed before traffic moved asks before switching.
    const notAfter = (data as DeadlinedJobData).notAfter;
    if (step.kind === 'switch' && !cursor.switched && notAfter !== undefined && services.now() > Date.parse(notAfter)
      && !cursor.passedGates.includes(`window-closed:${step.id}`)) {
      const ended = await gate({ id: `window-closed:${step.id}`, title: `The window closed at ${notAfter} before traffic was switched; approve to continue outside the window`, reason: 'confirm', beforeStep: step.id });
      if (ended) return ended;
    }

    const interrupted = cursor.started.includes(step.id) && !cursor.done.includes(step.id);
    const confirmId = `confirm:${step.id}`;
    if (interrupted && !step.safeToRepeat && !cursor.passedGates.includes(confirmId)) {
      const state = await verifyInterrupted(step, deps, signal);
      if (state === 'done') {
        cursor.done.push(step.id);
        cursor.next += 1;
        if (step.kind === 'switch') cursor.switched = true;
        await save();
        await services.emit({ type: 'step-skipped', upgradeId, stepId: step.id, reason: 'interrupted earlier; its check says it is already done' });
        continue;
      }
      if (state === 'unsure') {
        await emitLog('warn', `"${step.title}" was interrupted and cannot be checked automatically; approve to run it again or reject to stop`);
        const ended = await gate({ id: confirmId, title: `Re-run interrupted step "${step.title}"?`, reason: 'confirm', beforeStep: step.id });
        if (ended) return ended;
      }
    }

    if (!cursor.started.includes(step.id)) cursor.started.push(step.id);
    await save();
    const startedAt = services.now();
    await services.emit({ type: 'step-started', upgradeId, stepId: step.id, at: new Date(startedAt).toISOString() });
    let result;
    try {
      const host = step.host === undefined ? undefined : findHost(deps.config, step.environment, step.host);
      result = await executeStep(step, {
        ...(host ? {} : { environmentHosts: planHosts(plan, step.environment, deps.config) }),
        shell: deps.shell,
        signal: signal ?? new AbortController().signal,
        now: services.now,
        onHealth: (results) => { void services.emit({ type: 'health', upgradeId, results }); },
        ...(host ? { host } : {}),
      });
    } catch (error) {
      const durationMs = services.now() - startedAt;
      const message = error instanceof Error ? error.message : String(error);
      if (isClawopsError(error, 'ABORTED') && signal?.aborted) return parkForShutdown(job, token);
      if (isClawopsError(error) && TRANSIENT.has(error.code)) {
        await emitLog('warn', `"${step.title}": ${message}; retrying (attempt ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1})`);
        throw error;
      }
      await services.emit({ type: 'step-failed', upgradeId, stepId: step.id, at: new Date(services.now()).toISOString(), durationMs, excerpt: '', error: message });
      log.error({ err: error, step: step.id }, 'step crashed');
      if (cursor.switched) await proposeRollback(`"${step.title}" failed after traffic was switched`);
      const bad = isClawopsError(error) && BAD_INPUT.has(error.code);
      return fail(`${bad ? 'refused' : 'failed'} at "${step.title}": ${message}`);
    }
    const at = new Date(services.now()).toISOString();
    if (result.ok) {
      if (step.action.type === 'notify') await emitLog('info', step.action.message);
      cursor.done.push(step.id);
      cursor.next += 1;
      if (step.kind === 'switch') cursor.switched = true;
      cursor.passedGates = cursor.passedGates.filter((id) => id !== confirmId);
      await save();
      await services.emit({
        type: 'step-finished', upgradeId, stepId: step.id, at, durationMs: result.durationMs,
        ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }), ...(result.excerpt ? { excerpt: result.excerpt } : {}),
      });
      continue;
    }
    await services.emit({
      type: 'step-failed', upgradeId, stepId: step.id, at, durationMs: result.durationMs, excerpt: result.excerpt, error: result.error,
      ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
    });
    if (result.proposeRollback || cursor.switched) await proposeRollback(`"${step.title}" failed: ${result.error}`);
    return fail(`failed at "${step.title}": ${result.error}`);
  }
  return finish('succeeded', `${plan.kind} of ${plan.environment} to ${plan.toVersion} done: ${plan.steps.length} steps`);
}

/** Runs an interrupted step's `verify` probe: exit 0 = already done, exit 1 = not done, anything else = unsure. */
async function verifyInterrupted(step: PlanStep, deps: RunDeps, signal: AbortSignal | undefined): Promise<'done' | 'not-done' | 'unsure'> {
  if (!step.verify || step.host === undefined) return 'unsure';
  try {
    const host = toRemoteTarget(findHost(deps.config, step.environment, step.host));
    const env = step.verify.env ?? {};
    const target = Object.keys(env).length === 0 ? host : { ...host, env: { ...host.env, ...env } };
    const result = await deps.shell.run(target, step.verify.argv, { timeoutMs: Math.min(step.timeoutMs, 60_000), ...(signal ? { signal } : {}) });
    if (result.exitCode === 0) return 'done';
    if (result.exitCode === 1) return 'not-done';
    deps.logger.warn({ step: step.id, exitCode: result.exitCode, output: outputExcerpt(result.stdout, result.stderr, 5) }, 'verify probe unsure');
    return 'unsure';
  } catch (error) {
    if (isClawopsError(error) && TRANSIENT.has(error.code)) throw error;
    return 'unsure';
  }
}

/** The config entries of the hosts the plan's steps run on in `environment`, in plan order. */
function planHosts(plan: UpgradeJobData['plan'], environment: string, config: ClawopsConfig): HostConfig[] {
  const names = [...new Set(plan.steps.filter((s) => s.environment === environment && s.host !== undefined).map((s) => s.host as string))];
  return names.map((name) => findHost(config, environment, name));
}

/** Graceful worker stop between steps: hand the job back to the queue, no stall counted. */
async function parkForShutdown(job: Job<UpgradeJobData>, token: string | undefined): Promise<never> {
  await job.moveToWait(token);
  throw new WaitingError();
}
