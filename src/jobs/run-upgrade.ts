/**
 * The processor of one upgrade job: runs the plan from the saved cursor (src/jobs/next-steps.ts
 * decides what may run: each host's steps of a rolling batch as a chain, the batch's chains side
 * by side, batches one after another), passing gates, checking for cancel before starting any
 * step, and deciding what to do with steps a crash interrupted (repeat, verify, or ask).
 *
 * Stopping (failure, cancel, worker shutdown, a transient error to retry): nothing new starts,
 * the steps in flight end, the cursor is saved, then the job ends, parks or is retried.
 */
import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { ClawopsConfig } from '../config/schema.js';
import { isClawopsError } from '../errors.js';
import type { PlanGate, PlanStep } from '../runbook/types.js';
import type { RemoteShell } from '../remote/types.js';
import { executeStep, type StepResult } from './execute-step.js';
import { AttemptFence, takeOver } from './fence.js';
import { fencedShell } from '../remote/host-fence.js';
import { lastOutputLine, undoBeforeTraffic } from './undo-host.js';
import { passGate } from './gates.js';
import { failBudget, firstUnsettled, isSettled, nextAction, planSegments } from './next-steps.js';
import type { UpgradeJobData, UpgradeJobResult, UpgradeOutcome } from './queue.js';
import { serializeSaves } from './serial-save.js';
import type { JobServices } from './services.js';
import { BAD_INPUT, TRANSIENT, describeFailures, planHosts, verifyInterrupted, type StepFailure } from './step-checks.js';
import { findHost } from './targets.js';
import { rollbackScopeOf } from '../runbook/select.js';

export interface RunDeps {
  services: JobServices;
  config: ClawopsConfig;
  shell: RemoteShell;
  logger: Logger;
  gateTimeoutMs: number;
}

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
  const { services, config } = deps;
  const data = job.data;
  const { upgradeId, plan, cursor } = data;
  cursor.failedHosts ??= [];
  const failedHosts = cursor.failedHosts;
  const log = deps.logger.child({ upgradeId, environment: plan.environment });
  const fence = new AttemptFence(services.redis, services.prefix);
  let attempt = 0;
  let fenced = false;
  const attemptAbort = new AbortController();
  /** A newer attempt owns this upgrade: start nothing, record nothing, end the command in flight. */
  const loseFence = () => {
    if (fenced) return;
    fenced = true;
    log.warn({ attempt }, 'a newer attempt took this upgrade over; this one stops without recording anything');
    attemptAbort.abort();
  };
  // Every host command of this attempt carries its token to the host (src/remote/host-fence.ts).
  const hostShell = (label: string) => fencedShell(deps.shell, { upgradeId, token: attempt }, label);
  const stepSignal = signal === undefined ? attemptAbort.signal : AbortSignal.any([signal, attemptAbort.signal]);
  // job.data keeps pointing at the live cursor (fence.save stores the object it is given).
  const save = serializeSaves(async () => {
    if (fenced) return;
    cursor.next = firstUnsettled(plan, cursor);
    cursor.attemptsMade = job.attemptsMade;
    const saved = await fence.save(job, upgradeId, attempt, { ...data, cursor });
    if (saved === 'stale') loseFence();
    if (saved === 'gone') throw new Error(`job ${job.id} of ${upgradeId} no longer exists`);
  });
  const emitLog = (level: 'info' | 'warn' | 'error', message: string) => services.emit({ type: 'log', upgradeId, level, message });
  const finish = async (outcome: UpgradeOutcome, summary: string, failed: readonly string[] = []): Promise<UpgradeJobResult> => {
    await finishUpgrade(services, data, outcome, summary, job.id);
    return { outcome, summary, ...(failed.length > 0 ? { failedHosts: [...failed] } : {}) };
  };
  /**
   * Proposes rolling back the hosts whose traffic moved (judged per host and environment, not by
   * `cursor.switched`: staging switching first does not mean production moved). Nothing moved
   * that should go back: no proposal (the bot plans the rollback a proposal names).
   */
  const movedScope = () => rollbackScopeOf(plan.environment, plan.steps.map((step) => ({
    environment: step.environment, kind: step.kind, done: cursor.done.includes(step.id), ...(step.host === undefined ? {} : { host: step.host }),
  })));
  const proposeRollback = async (reason: string, force = false) => {
    const scope = movedScope();
    if (scope === null && !force) return;
    const where = scope === null ? '' : ` (traffic moved on ${scope.hosts.join(', ')} in ${scope.environment})`;
    await services.emit({ type: 'rollback-proposed', upgradeId, reason: `${reason}${where}`, rollbackId: `rollback-${upgradeId}` });
  };
  const gateDeps = { services, approvalsConfig: config.approvals, gateTimeoutMs: deps.gateTimeoutMs };

  if (await services.isFinished(upgradeId)) return { outcome: 'cancelled', summary: 'already finished' };
  attempt = await fence.begin(upgradeId);
  await takeOver({ upgradeId, plan, cursor, attempt, attemptsMade: job.attemptsMade, services, say: (message) => emitLog('warn', message) });
  const stopWatching = fence.watch(upgradeId, attempt, loseFence);
  try {
    return await runAttempt();
  } finally {
    stopWatching();
  }

  async function runAttempt(): Promise<UpgradeJobResult> {
    /** Returns an outcome that ends the upgrade, or null when the gate passed. */
    const gate = async (planGate: PlanGate): Promise<UpgradeJobResult | null> => {
      const result = await passGate(job, token, planGate, gateDeps, save);
      if (result.kind === 'passed') return null;
      if (result.kind === 'rejected') {
        await proposeRollback(`gate "${planGate.title}" rejected by ${result.by} after traffic was switched`);
        return finish('cancelled', `rejected by ${result.by} at "${planGate.title}"`);
      }
      await proposeRollback(`gate "${planGate.title}" expired after traffic was switched`);
      const moved = movedScope();
      const where = moved === null ? `traffic was left where it was in ${plan.environment}` : `traffic is on the new version on ${moved.hosts.join(', ')}`;
      return finish('expired', `nobody approved "${planGate.title}" in time; ${where}`);
    };

    const segments = planSegments(plan);
    const running = new Map<string, Promise<void>>();
    const pendingGates = new Map<string, PlanGate>();
    const failures: StepFailure[] = [];
    let fatal = false;
    let cancelledBy: string | null = null;
    let shutdown = false;
    let thrown: { error: unknown } | undefined;
    const stopping = () => fenced || fatal || cancelledBy !== null || shutdown || thrown !== undefined;
    const environmentHosts = (environment: string) => config.environments[environment]?.hosts.map((host) => host.name) ?? [];

    const markDone = (step: PlanStep) => {
      if (!cursor.done.includes(step.id)) cursor.done.push(step.id);
      if (step.kind === 'switch') cursor.switched = true;
    };

    const undone = new Set<string>();
    const undoHost = async (host: string, reason: string) => {
      if (undone.has(host)) return;
      undone.add(host);
      const result = await undoBeforeTraffic({ plan, cursor, host, reason, config, shellFor: hostShell, now: services.now });
      if (result !== null) await emitLog(result.level, result.message);
    };

    /** A host's chain failed: tolerated (host skipped from now on) while within maxFailPercent, else the upgrade stops. */
    const hostFailed = async (failure: StepFailure) => {
      if (fenced) return;
      failures.push(failure);
      const { step } = failure;
      if (step.host !== undefined) await undoHost(step.host, `"${step.title}": ${lastOutputLine(failure.error)}`);
      if (failure.refused || step.host === undefined) { fatal = true; return; }
      const envHosts = environmentHosts(step.environment);
      const failedHere = new Set([...failedHosts.filter((host) => envHosts.includes(host)), step.host]);
      const maxFailPercent = config.environments[step.environment]?.maxFailPercent ?? 0;
      const budget = failBudget(failedHere.size, Math.max(envHosts.length, failedHere.size), maxFailPercent);
      if (!budget.within) { fatal = true; return; }
      failedHosts.push(step.host);
      await save();
      await emitLog('warn', `${step.host} failed at "${step.title}" and is skipped for the rest of the rollout (${failedHere.size} of ${envHosts.length} hosts in ${step.environment} = ${Math.round(budget.percent)}%, maxFailPercent ${maxFailPercent}%)`);
      for (const rest of plan.steps) {
        if (rest.host === step.host && rest.id !== step.id && !cursor.done.includes(rest.id)) {
          await services.emit({ type: 'step-skipped', upgradeId, stepId: rest.id, reason: `${step.host} failed at "${step.title}"` });
        }
      }
    };

    /** One step of a chain; never rejects: what happened is left in the cursor and the flags above. */
    const runStep = async (step: PlanStep): Promise<void> => {
      try {
        if (fenced) return;
        const confirmId = `confirm:${step.id}`;
        const interrupted = cursor.started.includes(step.id) && !cursor.done.includes(step.id);
        if (interrupted && !step.safeToRepeat && !cursor.passedGates.includes(confirmId)) {
          const state = await verifyInterrupted(step, { ...deps, shell: hostShell(`verify:${step.id}`) }, signal);
          if (state === 'done') {
            markDone(step);
            await save();
            if (fenced) return;
            await services.emit({ type: 'step-skipped', upgradeId, stepId: step.id, reason: 'interrupted earlier; its check says it is already done' });
            return;
          }
          if (state === 'unsure') {
            await emitLog('warn', `"${step.title}"${step.host ? ` on ${step.host}` : ''} was interrupted and cannot be checked automatically; approve to run it again or reject to stop`);
            pendingGates.set(step.id, { id: confirmId, title: `Re-run interrupted step "${step.title}"?`, reason: 'confirm', beforeStep: step.id });
            return;
          }
        }
        if (!cursor.started.includes(step.id)) cursor.started.push(step.id);
        await save();
        // The write of "started" is the atomic check: a superseded attempt never starts the step.
        if (fenced) return;
        const startedAt = services.now();
        await services.emit({ type: 'step-started', upgradeId, stepId: step.id, at: new Date(startedAt).toISOString() });
        let result: StepResult;
        try {
          const host = step.host === undefined ? undefined : findHost(config, step.environment, step.host);
          result = await executeStep(step, {
            ...(host ? { host } : { environmentHosts: planHosts(plan, step.environment, config, failedHosts) }),
            shell: hostShell(step.id),
            signal: stepSignal,
            now: services.now,
            onHealth: (results) => { void services.emit({ type: 'health', upgradeId, results }); },
          });
        } catch (error) {
          if (isClawopsError(error, 'SUPERSEDED')) loseFence();
          if (fenced) return;
          const message = error instanceof Error ? error.message : String(error);
          if (isClawopsError(error, 'ABORTED') && signal?.aborted) { shutdown = true; return; }
          if (isClawopsError(error) && TRANSIENT.has(error.code)) {
            await emitLog('warn', `"${step.title}": ${message}; retrying (attempt ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1})`);
            thrown ??= { error };
            return;
          }
          await services.emit({ type: 'step-failed', upgradeId, stepId: step.id, at: new Date(services.now()).toISOString(), durationMs: services.now() - startedAt, excerpt: '', error: message });
          log.error({ err: error, step: step.id }, 'step crashed');
          await hostFailed({ step, error: message, refused: isClawopsError(error) && BAD_INPUT.has(error.code), proposeRollback: false });
          return;
        }
        if (fenced) return;
        const at = new Date(services.now()).toISOString();
        const exit = result.exitCode === undefined ? {} : { exitCode: result.exitCode };
        if (result.ok) {
          if (step.action.type === 'notify') await emitLog('info', step.action.message);
          markDone(step);
          cursor.passedGates = cursor.passedGates.filter((id) => id !== confirmId);
          await save();
          if (fenced) return;
          await services.emit({ type: 'step-finished', upgradeId, stepId: step.id, at, durationMs: result.durationMs, ...exit, ...(result.excerpt ? { excerpt: result.excerpt } : {}) });
          return;
        }
        await services.emit({ type: 'step-failed', upgradeId, stepId: step.id, at, durationMs: result.durationMs, excerpt: result.excerpt, error: result.error, ...exit });
        await hostFailed({ step, error: result.error, refused: false, proposeRollback: result.proposeRollback === true });
      } catch (error) {
        if (isClawopsError(error, 'SUPERSEDED')) loseFence();
        else thrown ??= { error };
      }
    };

    const limit = (environment: string) => config.environments[environment]?.parallelism ?? 1;
    for (;;) {
      if (!stopping()) {
        cancelledBy = await services.cancelRequestedBy(upgradeId);
        if (cancelledBy === null && signal?.aborted) shutdown = true;
      }
      if (stopping()) {
        if (running.size === 0) break;
        await Promise.race(running.values());
        continue;
      }
      const notAfter = (data as DeadlinedJobData).notAfter;
      const windowClosed = notAfter !== undefined && services.now() > Date.parse(notAfter);
      const action = nextAction(plan, cursor, { running: new Set(running.keys()), limit, pendingGates, ...(windowClosed ? { windowClosedAt: notAfter } : {}) }, segments);
      if (action.kind === 'done') break;
      if (action.kind === 'gate') {
        const ended = await gate(action.gate);
        if (ended) return ended;
        continue;
      }
      if (action.kind === 'run') {
        for (const step of action.steps) running.set(step.id, runStep(step).finally(() => { running.delete(step.id); }));
      }
      if (running.size > 0) await Promise.race(running.values());
    }

    if (fenced) {
      await fence.waitForSuccessor(job, token);
      throw new Error(`attempt ${attempt} of ${upgradeId} was superseded by a newer attempt; it stopped without recording anything`);
    }
    const hostsNamed = [...new Set([...failedHosts, ...failures.flatMap((failure) => failure.step.host === undefined ? [] : [failure.step.host])])];
    if (fatal) {
      const summary = describeFailures(failures);
      await proposeRollback(summary, failures.some((failure) => failure.proposeRollback));
      await finish('failed', summary, hostsNamed);
      throw new UnrecoverableError(summary);
    }
    if (cancelledBy !== null) {
      await proposeRollback(`cancelled by ${cancelledBy} after traffic was switched`);
      const next = plan.steps.find((step) => !isSettled(step, cursor));
      return finish('cancelled', `cancelled by ${cancelledBy} before "${next?.title ?? 'the end'}" (${cursor.done.length}/${plan.steps.length} steps done)`, hostsNamed);
    }
    if (thrown) throw thrown.error;
    if (shutdown) return parkForShutdown(job, token);
    const done = `${plan.kind} of ${plan.environment} to ${plan.toVersion} done: ${plan.steps.length} steps`;
    if (failedHosts.length === 0) return finish('succeeded', done);
    const details = failures.length === 0 ? '' : ` (${describeFailures(failures)})`;
    return finish('succeeded', `${done}; ${failedHosts.length} host(s) failed and were skipped: ${failedHosts.join(', ')}${details}`, failedHosts);
  }
}

/** Graceful worker stop between steps: hand the job back to the queue, no stall counted. */
async function parkForShutdown(job: Job<UpgradeJobData>, token: string | undefined): Promise<never> {
  await job.moveToWait(token);
  throw new WaitingError();
}
