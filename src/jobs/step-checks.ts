/** Helpers of the upgrade processor: the interrupted-step probe, the hosts a fleet-wide step covers, failure wording. */
import type { Logger } from 'pino';
import type { ClawopsConfig, HostConfig } from '../config/schema.js';
import { isClawopsError } from '../errors.js';
import type { Plan, PlanStep } from '../runbook/types.js';
import type { RemoteShell } from '../remote/types.js';
import { outputExcerpt } from './execute-step.js';
import { findHost, toRemoteTarget } from './targets.js';

/** Transport errors: the job is retried (attempts with backoff) rather than failed. */
export const TRANSIENT = new Set(['SSH_CONNECT_FAILED', 'SSH_DISCONNECTED']);
/** Bad input: no host is to blame, the upgrade is refused. */
export const BAD_INPUT = new Set(['PLAN_INVALID', 'UNKNOWN_HOST', 'UNKNOWN_ENVIRONMENT', 'NOT_AUTHORIZED', 'HOST_KEY_MISMATCH', 'CONFIG_INVALID']);

/** Runs an interrupted step's `verify` probe: exit 0 = already done, exit 1 = not done, anything else = unsure. */
export async function verifyInterrupted(step: PlanStep, deps: { config: ClawopsConfig; shell: RemoteShell; logger: Logger }, signal: AbortSignal | undefined): Promise<'done' | 'not-done' | 'unsure'> {
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
    if (isClawopsError(error) && (TRANSIENT.has(error.code) || error.code === 'SUPERSEDED')) throw error;
    return 'unsure';
  }
}

/** The config entries of the hosts the plan's steps run on in `environment`, in plan order, without `exclude`. */
export function planHosts(plan: Plan, environment: string, config: ClawopsConfig, exclude: readonly string[] = []): HostConfig[] {
  const names = [...new Set(plan.steps.filter((s) => s.environment === environment && s.host !== undefined).map((s) => s.host as string))];
  return names.filter((name) => !exclude.includes(name)).map((name) => findHost(config, environment, name));
}

/** A step that failed, as the worker reports it. */
export interface StepFailure {
  step: PlanStep;
  error: string;
  /** Bad input (plan or config), not the host's fault. */
  refused: boolean;
  proposeRollback: boolean;
}

/** `failed at "Install" on host-a: npm exited with 1`, or every failure with the hosts named first. */
export function describeFailures(failures: readonly StepFailure[]): string {
  const one = (failure: StepFailure) => `"${failure.step.title}"${failure.step.host === undefined ? '' : ` on ${failure.step.host}`}: ${failure.error}`;
  const first = failures[0];
  if (first === undefined) return 'failed';
  if (failures.length === 1) return `${first.refused ? 'refused' : 'failed'} at ${one(first)}`;
  const hosts = [...new Set(failures.flatMap((failure) => failure.step.host === undefined ? [] : [failure.step.host]))];
  return `failed${hosts.length > 0 ? ` on ${hosts.join(', ')}` : ''}: ${failures.map(one).join('; ')}`;
}
