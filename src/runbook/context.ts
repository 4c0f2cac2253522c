/** What a strategy needs to plan one host, plus path helpers and the one step constructor. */
import type { ClawopsConfig, HostConfig } from '../config/schema.js';
import type { HostFacts, PlanGate, PlanStep, StepAction, StepKind, StepPhase } from './types.js';

/** Planning input for one host in one phase of one plan. */
export interface HostContext {
  config: ClawopsConfig;
  host: HostConfig;
  facts: HostFacts;
  environment: string;
  /** The id of this plan's run (upgrade or rollback). */
  runId: string;
  phase: StepPhase;
  batch: number;
  /** The version this plan moves the host to (for a rollback: the old version). */
  toVersion: string;
  /** The version the host runs now (null when unknown). */
  fromVersion: string | null;
  /** The backup this plan makes (upgrade) or restores from (rollback). */
  backupFile: string;
}

/** Steps and gates a strategy contributes for one host. */
export interface HostSteps {
  steps: PlanStep[];
  gates: PlanGate[];
  warnings: string[];
  /** Run (in order, each attempted) when this host fails before its traffic moved: undo what the steps prepared. */
  onFailure?: PlanStep[];
}

export const DEFAULT_STATE_DIR = '~/.openclaw';

export function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

export function releasePrefix(host: HostConfig, version: string): string {
  return `${trimSlash(host.releasesDir)}/${version}`;
}

export function currentLink(host: HostConfig): string {
  return `${trimSlash(host.releasesDir)}/current`;
}

export function releaseBinary(host: HostConfig, version: string | 'current'): string {
  return `${version === 'current' ? currentLink(host) : releasePrefix(host, version)}/bin/openclaw`;
}

/** The pre-upgrade backup of one host: `<backupDir>/openclaw-pre-upgrade-<backupId>-<host>.tar.gz`. */
export function backupFileFor(host: HostConfig, backupId: string): string {
  return `${trimSlash(host.backupDir)}/openclaw-pre-upgrade-${backupId}-${host.name}.tar.gz`;
}

/** OPENCLAW_STATE_DIR for a command, left out for OpenClaw's own default to keep command lines short. */
export function stateEnv(stateDir: string): Record<string, string> {
  return trimSlash(stateDir) === DEFAULT_STATE_DIR ? {} : { OPENCLAW_STATE_DIR: stateDir };
}

/**
 * Base URL of a gateway as seen from its host. `healthUrl` is ignored on a blue-green host: it
 * reaches one color, and after a switch that is the stopped one (`clawops config check` warns).
 */
export function healthBase(host: HostConfig, port?: number): string {
  if (port === undefined && host.healthUrl !== undefined && host.strategy.kind !== 'blue-green') return host.healthUrl.replace(/\/+$/, '');
  const fallbackPort = 'port' in host.strategy ? host.strategy.port : 18789;
  return `http://127.0.0.1:${port ?? fallbackPort}`;
}

export function command(argv: readonly string[], env: Readonly<Record<string, string>> = {}, okExitCodes?: readonly number[]): StepAction {
  const action: StepAction = { type: 'command', argv: [...argv] };
  if (Object.keys(env).length > 0) action.env = { ...env };
  if (okExitCodes !== undefined) action.okExitCodes = [...okExitCodes];
  return action;
}

export interface StepOptions {
  safeToRepeat: boolean;
  verify?: readonly string[];
  verifyEnv?: Readonly<Record<string, string>>;
  timeoutMs?: number;
  after?: readonly string[];
}

export function commandTimeoutMs(config: ClawopsConfig): number {
  return config.runbook.timeouts.commandSeconds * 1000;
}

/** A step on the context's host with id `<host>:<suffix>`. */
export function hostStep(ctx: HostContext, suffix: string, title: string, kind: StepKind, action: StepAction, options: StepOptions): PlanStep {
  const step: PlanStep = {
    id: `${ctx.host.name}:${suffix}`,
    title,
    kind,
    host: ctx.host.name,
    environment: ctx.environment,
    action,
    timeoutMs: options.timeoutMs ?? defaultTimeout(ctx.config, action),
    safeToRepeat: options.safeToRepeat,
    phase: ctx.phase,
    batch: ctx.batch,
  };
  if (options.verify !== undefined) {
    step.verify = options.verifyEnv !== undefined && Object.keys(options.verifyEnv).length > 0
      ? { argv: [...options.verify], env: { ...options.verifyEnv } }
      : { argv: [...options.verify] };
  }
  if (options.after !== undefined && options.after.length > 0) step.after = [...options.after];
  return step;
}

function defaultTimeout(config: ClawopsConfig, action: StepAction): number {
  switch (action.type) {
    case 'http-check':
      return action.timeoutMs + 5000;
    case 'watch':
      return action.minutes * 60_000 + 60_000;
    default:
      return commandTimeoutMs(config);
  }
}

/** A gate in front of `step`; also recorded on the step itself. */
export function gateBefore(step: PlanStep, id: string, title: string, reason: PlanGate['reason']): PlanGate {
  step.after = [...(step.after ?? []), id];
  return { id, title, reason, beforeStep: step.id };
}
