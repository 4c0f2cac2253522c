/**
 * Runs one PlanStep on its host through a RemoteShell. Failures of the step itself (non-zero
 * exit, timeout, failed health) come back as `{ok: false}`; transport errors (SSH_CONNECT_FAILED,
 * SSH_DISCONNECTED) and ABORTED are thrown so the worker can retry or park the job.
 */
import { ClawopsError, isClawopsError } from '../errors.js';
import type { HostConfig } from '../config/schema.js';
import type { PlanStep, StepAction } from '../runbook/types.js';
import type { RemoteShell, RemoteTarget } from '../remote/types.js';
import type { HealthResult } from './events.js';
import { abortableSleep, checkHealth, parseOpenClawVersion, waitForEndpoint, type ProbeTarget } from '../health/probes.js';
import { hostHealthProbe, toRemoteTarget } from './targets.js';
import { diagnoseSupervisors, portOf, supervisorsFor, watchForCrashLoop, type CrashLoop, type SupervisorRef } from './supervisor.js';

export interface StepContext {
  shell: RemoteShell;
  /** The step's host from the config; undefined for fleet-wide steps. */
  host?: HostConfig;
  /**
   * Every host of the plan in the step's environment: what a fleet-wide `watch` (no `host`)
   * checks. Empty or absent: such a watch has nothing to check and fails.
   */
  environmentHosts?: readonly HostConfig[];
  /** Aborts the running command (job cancelled or worker stopping). */
  signal: AbortSignal;
  /** Health results seen while running (http-check, watch). */
  onHealth?: (results: HealthResult[]) => void;
  now?: () => number;
}

export type StepResult =
  | { ok: true; durationMs: number; exitCode?: number; excerpt?: string }
  | { ok: false; durationMs: number; exitCode?: number; excerpt: string; error: string; proposeRollback?: boolean };

const EXCERPT_LINES = 20;

/** The last ~20 lines of a command's output, stderr last (where failures explain themselves). */
export function outputExcerpt(stdout: string, stderr: string, lines = EXCERPT_LINES): string {
  const all = [...stdout.split('\n'), ...stderr.split('\n')].map((line) => line.trimEnd()).filter((line) => line.length > 0);
  return all.slice(-lines).join('\n');
}

export async function executeStep(step: PlanStep, ctx: StepContext): Promise<StepResult> {
  const now = ctx.now ?? Date.now;
  const started = now();
  const elapsed = () => now() - started;
  const action = step.action;
  try {
    switch (action.type) {
      case 'command': {
        const target = withEnv(requireTarget(step, ctx), action.env);
        const result = await ctx.shell.run(target, action.argv, { signal: ctx.signal, timeoutMs: step.timeoutMs });
        const excerpt = outputExcerpt(result.stdout, result.stderr);
        const okCodes = action.okExitCodes ?? [0];
        if (okCodes.includes(result.exitCode)) return { ok: true, durationMs: elapsed(), exitCode: result.exitCode, excerpt };
        return { ok: false, durationMs: elapsed(), exitCode: result.exitCode, excerpt, error: `${action.argv[0] ?? 'command'} exited with ${result.exitCode}` };
      }
      case 'write-file': {
        await ctx.shell.writeFile(requireTarget(step, ctx), action.path, action.content, { signal: ctx.signal, timeoutMs: step.timeoutMs });
        return { ok: true, durationMs: elapsed() };
      }
      case 'http-check':
        return await httpCheck(step, action, ctx, elapsed);
      case 'version-check': {
        const host = requireHost(step, ctx);
        const found = action.argv
          ? await readVersionWith(ctx.shell, withEnv(toRemoteTarget(host), action.env), action.argv, ctx.signal, step.timeoutMs)
          : await readCurrentVersion(ctx.shell, host, ctx.signal, step.timeoutMs);
        if (found.version === action.expectVersion) return { ok: true, durationMs: elapsed(), exitCode: 0, excerpt: found.output };
        const explained = await withDiagnosis(found.output, ctx, host, supervisorsFor(host));
        return { ok: false, durationMs: elapsed(), excerpt: explained, error: `expected version ${action.expectVersion}, host runs ${found.version ?? 'an unreadable version'}` };
      }
      case 'watch':
        return await watch(step, action, ctx, now, started);
      case 'notify':
        // Nothing runs remotely: the message is the step's record (step-finished excerpt, audit).
        return { ok: true, durationMs: elapsed(), excerpt: action.message };
      default:
        return { ok: false, durationMs: 0, excerpt: '', error: `unknown action ${(action as { type: string }).type}` };
    }
  } catch (error) {
    if (isClawopsError(error, 'COMMAND_TIMEOUT')) {
      return { ok: false, durationMs: elapsed(), excerpt: '', error: `timed out after ${step.timeoutMs} ms` };
    }
    throw error;
  }
}

/**
 * Polls a URL until it is live/ready. On the step's host the gateway's supervisor is watched at the
 * same time: a release that keeps exiting on start fails the step within seconds, and every failure
 * carries the supervisor's state and log tail.
 */
async function httpCheck(step: PlanStep, action: Extract<StepAction, { type: 'http-check' }>, ctx: StepContext, elapsed: () => number): Promise<StepResult> {
  const probe: ProbeTarget = { host: step.host ?? 'bot', baseUrl: action.url, viaHost: action.viaHost, shell: ctx.shell, ...(ctx.host ? { target: toRemoteTarget(ctx.host) } : {}) };
  const host = ctx.host;
  const refs = host ? supervisorsFor(host, portOf(action.url)) : [];
  const stop = new AbortController();
  const stopAll = () => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', stopAll, { once: true });
  try {
    const waiting = waitForEndpoint(probe, action.expect, { timeoutMs: action.timeoutMs, signal: stop.signal, now: ctx.now ?? Date.now });
    const crash: Promise<CrashLoop | null> = host && refs.length > 0
      ? watchForCrashLoop(ctx.shell, host, refs, stop.signal).catch(() => null)
      : new Promise<null>(() => undefined);
    const first = await Promise.race([waiting.then((result) => ({ result })), crash.then((loop) => ({ loop }))]);
    if ('loop' in first && first.loop !== null) {
      stop.abort();
      await waiting.catch(() => undefined);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      ctx.onHealth?.([{ host: probe.host, live: false, ready: false, latencyMs: 0, error: first.loop.summary }]);
      return { ok: false, durationMs: elapsed(), excerpt: await withDiagnosis('', ctx, host, refs), error: `${action.url} not ${action.expect}: ${first.loop.summary}` };
    }
    const result = 'result' in first ? first.result : await waiting;
    // A /healthz answer says nothing about readiness: only /readyz checks go to the health panel
    // (a live-only check would show a healthy host as "not ready").
    if (action.expect === 'ready') ctx.onHealth?.([{ host: probe.host, live: result.ok || result.answered === true, ready: result.ok, latencyMs: result.latencyMs, ...(result.error ? { error: result.error } : {}) }]);
    if (result.ok) return { ok: true, durationMs: elapsed(), excerpt: `${action.expect} after ${result.attempts} probe(s)` };
    return { ok: false, durationMs: elapsed(), excerpt: await withDiagnosis(result.error ?? '', ctx, host, refs), error: `${action.url} not ${action.expect} within ${action.timeoutMs} ms` };
  } finally {
    ctx.signal.removeEventListener('abort', stopAll);
    stop.abort();
  }
}

/** `text` followed by what the supervisor says (state, log tail); `text` alone when there is none. */
async function withDiagnosis(text: string, ctx: StepContext, host: HostConfig | undefined, refs: readonly SupervisorRef[]): Promise<string> {
  if (host === undefined || refs.length === 0) return text;
  const diagnosis = await diagnoseSupervisors(ctx.shell, host, refs, ctx.signal).catch(() => '');
  return [text, diagnosis].filter((part) => part !== '').join('\n');
}

/** `<releasesDir>/current/bin/openclaw --version` on the host, parsed. */
export async function readCurrentVersion(shell: RemoteShell, host: HostConfig, signal: AbortSignal, timeoutMs = 30_000): Promise<{ version: string | null; output: string }> {
  const binary = `${host.releasesDir.replace(/\/+$/, '')}/current/bin/openclaw`;
  return readVersionWith(shell, toRemoteTarget(host), [binary, '--version'], signal, timeoutMs);
}

/** Runs argv (`openclaw --version`, `docker compose images`, `docker service inspect`…) and takes the first version-like token of its stdout. */
export async function readVersionWith(shell: RemoteShell, target: RemoteTarget, argv: readonly string[], signal: AbortSignal, timeoutMs = 30_000): Promise<{ version: string | null; output: string }> {
  const result = await shell.run(target, argv, { signal, timeoutMs });
  const output = outputExcerpt(result.stdout, result.stderr, 3);
  if (result.exitCode !== 0) return { version: null, output };
  return { version: parseOpenClawVersion(result.stdout)?.version ?? null, output };
}

/**
 * Health of the step's host, or of every host of the environment (fleet-wide watch), each interval,
 * with the version each running gateway reports when the plan says how to ask it.
 */
async function watch(step: PlanStep, action: Extract<StepAction, { type: 'watch' }>, ctx: StepContext, now: () => number, started: number): Promise<StepResult> {
  const { minutes, intervalSeconds } = action;
  const hosts = ctx.host ? [ctx.host] : [...(ctx.environmentHosts ?? [])];
  if (hosts.length === 0) return { ok: false, durationMs: 0, excerpt: '', error: `watch ${step.id} has no host to check in ${step.environment}` };
  const timeoutMs = Math.min(10_000, intervalSeconds * 1000);
  const checks = hosts.map((host) => {
    const probe = hostHealthProbe(host, ctx.shell);
    const target = toRemoteTarget(host);
    const versionProbe = action.versions?.[host.name];
    // `gateway status` of real OpenClaw takes seconds: give it more than one health request.
    const readVersion = versionProbe === undefined ? undefined
      : async () => (await readVersionWith(ctx.shell, withEnv(target, versionProbe.env), versionProbe.argv, ctx.signal, Math.max(timeoutMs, 30_000))).version;
    return () => checkHealth(probe, { timeoutMs, signal: ctx.signal, ...(readVersion ? { readVersion } : {}) });
  });
  let rounds = 0;
  for (;;) {
    const results = await Promise.all(checks.map((check) => check()));
    rounds += 1;
    ctx.onHealth?.(results);
    const problems = results.flatMap((result) => {
      if (!result.live || !result.ready) return [`${result.host} ${result.live ? 'not ready' : 'not live'}`];
      if (action.expectVersion !== undefined && result.version !== undefined && result.version !== action.expectVersion) return [`${result.host} runs ${result.version}, not ${action.expectVersion}`];
      return [];
    });
    if (problems.length > 0) {
      const failing = hosts.filter((host) => problems.some((problem) => problem.startsWith(`${host.name} `)));
      const errors = results.map((result) => result.error ?? '').filter(Boolean).join('\n');
      const diagnoses = await Promise.all(failing.map((host) => diagnoseSupervisors(ctx.shell, host, supervisorsFor(host), ctx.signal).catch(() => '')));
      const excerpt = [errors, ...failing.map((host, index) => (diagnoses[index] ? `${host.name}:\n${diagnoses[index]}` : ''))].filter(Boolean).join('\n');
      return { ok: false, durationMs: now() - started, excerpt, error: `health check ${rounds} failed: ${problems.join(', ')}`, proposeRollback: true };
    }
    if (now() + intervalSeconds * 1000 > started + minutes * 60_000) break;
    await abortableSleep(intervalSeconds * 1000, ctx.signal);
  }
  const where = hosts.length === 1 ? '' : ` on ${hosts.length} hosts`;
  return { ok: true, durationMs: now() - started, excerpt: `${rounds} health check(s) passed${where} over ${minutes} min` };
}

function requireHost(step: PlanStep, ctx: StepContext): HostConfig {
  if (!ctx.host) throw new ClawopsError('PLAN_INVALID', `step ${step.id} needs a host`, { step: step.id });
  return ctx.host;
}

function requireTarget(step: PlanStep, ctx: StepContext): RemoteTarget {
  return toRemoteTarget(requireHost(step, ctx));
}

function withEnv(target: RemoteTarget, env: Readonly<Record<string, string>> | undefined): RemoteTarget {
  if (!env || Object.keys(env).length === 0) return target;
  return { ...target, env: { ...target.env, ...env } };
}
