/** Which environment, hosts and facts a plan covers. Errors name the thing that is wrong and what exists. */
import { ClawopsError } from '../errors.js';
import type { ClawopsConfig, EnvironmentConfig, HostConfig } from '../config/schema.js';
import type { HostFacts, PlanFacts } from './types.js';
import { parseVersion } from './version.js';

/** The named environment, or the default: `production` when it exists, else the only one that is not staging. */
export function selectEnvironment(config: ClawopsConfig, name: string | undefined): { name: string; env: EnvironmentConfig } {
  const names = Object.keys(config.environments);
  if (name !== undefined) {
    const env = config.environments[name];
    if (env === undefined) throw new ClawopsError('UNKNOWN_ENVIRONMENT', `no environment "${name}" (have: ${names.join(', ')})`, { environment: name });
    return { name, env };
  }
  const production = config.environments['production'];
  if (production !== undefined) return { name: 'production', env: production };
  const candidates = names.filter((key) => config.environments[key]?.staging !== true);
  const only = candidates.length === 1 ? candidates[0] : names.length === 1 ? names[0] : undefined;
  const env = only === undefined ? undefined : config.environments[only];
  if (only === undefined || env === undefined) {
    throw new ClawopsError('COMMAND_INVALID', `say which environment after the command, one of: ${names.join(', ')}`, { environments: names });
  }
  return { name: only, env };
}

/** The environment's hosts, or the `--hosts` subset (in config order). Unknown names are an error. */
export function selectHosts(envName: string, env: EnvironmentConfig, names: readonly string[] | undefined): HostConfig[] {
  if (names === undefined || names.length === 0) return [...env.hosts];
  const known = new Set(env.hosts.map((host) => host.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new ClawopsError('UNKNOWN_HOST', `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in ${envName} (have: ${[...known].join(', ')})`, { environment: envName, hosts: unknown });
  }
  const wanted = new Set(names);
  return env.hosts.filter((host) => wanted.has(host.name));
}

/** Staging environments that go first when the target is not staging itself. */
export function stagingEnvironments(config: ClawopsConfig, targetName: string): { name: string; env: EnvironmentConfig }[] {
  if (config.environments[targetName]?.staging === true) return [];
  return Object.entries(config.environments)
    .filter(([name, env]) => env.staging && name !== targetName)
    .map(([name, env]) => ({ name, env }));
}

export function factsFor(facts: PlanFacts, host: HostConfig): HostFacts {
  const found = facts.hosts[host.name];
  if (found === undefined) throw new ClawopsError('PLAN_INVALID', `no facts were collected for host ${host.name}`, { host: host.name });
  return found;
}

/** Splits hosts into rolling batches of `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  const step = Math.max(1, Math.floor(size));
  for (let index = 0; index < items.length; index += step) out.push(items.slice(index, index + step));
  return out;
}

/** The version each host runs now ('unknown' when unreadable), and the readable ones. */
export function runningVersions(facts: PlanFacts, hosts: readonly HostConfig[]): { fromVersions: Record<string, string>; known: string[] } {
  const fromVersions: Record<string, string> = {};
  const known: string[] = [];
  for (const host of hosts) {
    const version = parseVersion(factsFor(facts, host).currentVersion);
    fromVersions[host.name] = version ?? 'unknown';
    if (version !== null) known.push(version);
  }
  return { fromVersions, known };
}

/** One step of a run, as far as "whose traffic moved" needs it (from a plan + cursor, or from the audit). */
export interface RunStepState {
  host?: string;
  environment: string;
  kind: string;
  /** The step ran to completion. */
  done: boolean;
}

/** What a stopped or failed run should offer to roll back. */
export interface RollbackScope {
  environment: string;
  /** Hosts of `environment` whose traffic moved (a `switch` step of theirs completed). */
  hosts: string[];
  /** Staging hosts that moved and passed: kept unless asked (`rollback <target> --with-staging`). */
  keptStaging: string[];
}

/**
 * Whose traffic a run moved, judged per host: a host moved when one of its `switch` steps
 * completed. The target environment's moved hosts are offered for rollback; staging hosts (any
 * other environment of the run) only when staging did not pass (a step of theirs did not complete),
 * i.e. the run stopped on staging. Null when nothing should be rolled back.
 */
export function rollbackScopeOf(targetEnvironment: string, steps: readonly RunStepState[]): RollbackScope | null {
  const movedIn = (match: (environment: string) => boolean) => [...new Set(steps
    .filter((step) => step.kind === 'switch' && step.done && step.host !== undefined && match(step.environment))
    .map((step) => step.host as string))];
  const target = movedIn((environment) => environment === targetEnvironment);
  const stagingSteps = steps.filter((step) => step.host !== undefined && step.environment !== targetEnvironment);
  const staging = movedIn((environment) => environment !== targetEnvironment);
  const stagingPassed = stagingSteps.every((step) => step.done);
  if (target.length > 0) return { environment: targetEnvironment, hosts: target, keptStaging: stagingPassed ? staging : [] };
  if (staging.length === 0 || stagingPassed) return null;
  const environment = stagingSteps.find((step) => step.host === staging[0])?.environment ?? targetEnvironment;
  return { environment, hosts: staging.filter((host) => stagingSteps.some((step) => step.host === host && step.environment === environment)), keptStaging: [] };
}
