/**
 * The rollback plan. Default: the old release is still installed side by side, so switch
 * `current` back and reload/restart (blue-green: start the old color if it was stopped and move
 * traffic back). The path is chosen per host (src/runbook/rollback-mode.ts): where the old
 * release cannot read the host's state (its own verdict, or the schema moved when there is no
 * verdict) or `--from-backup` is given: stop, restore the backup into a fresh dir, swap dirs
 * while stopped (the current one is kept as `<stateDir>.rolled-back-<id>`), switch the link to
 * the old release, start. Blue-green needs no restore: the old color never ran the new version
 * on its own state dir.
 *
 * Which hosts: those the upgrade being undone changed in the named environment (staging hosts of
 * an upgrade that targeted production included when staging is the environment named, or with
 * `--with-staging`). A rollback only goes back: a version not older than what a host runs is
 * refused, as is one that is neither published nor installed.
 * Always behind a `rollback` gate; then version, doctor and health are verified on every host.
 */
import semver from 'semver';
import { ClawopsError } from '../errors.js';
import type { Command } from '../commands/types.js';
import type { ClawopsConfig, HostConfig } from '../config/schema.js';
import type { Plan, PlanFacts, RollbackRecord } from './types.js';
import { bindStrategy } from './strategies/index.js';
import { isBackupPath } from './backup-ids.js';
import { backupFileFor } from './context.js';
import { describeFrom, finishPlan, fleetStep, frontGates, healthSteps, hostContext, strategyOf, type PlanDraft } from './plan.js';
import { backupIdFor, hostRollbackMode, type HostRollbackMode } from './rollback-mode.js';
import { batches, factsFor, runningVersions, selectEnvironment, stagingEnvironments } from './select.js';
import { probeVersionStep } from './steps.js';
import { validateRunbookCommands } from './template.js';
import { fleetUpdateType, isVersion, parseVersion } from './version.js';

type RollbackCommand = Extract<Command, { kind: 'rollback' }>;

/** What a rollback knows about the upgrade it undoes, with what that upgrade changed where (from the audit). */
export interface UpgradeTouch extends RollbackRecord {
  /** The environment the upgrade targeted. */
  environment?: string;
  /** Hosts whose serving release the upgrade changed (a `switch` step ran), with their environment. */
  changedHosts?: Readonly<Record<string, string>>;
  /** Hosts whose pre-upgrade backup was made; a host not listed has no backup of that upgrade. */
  backedUp?: readonly string[];
}

export interface RollbackOptions {
  /** Versions the hosts' registry publishes; null or absent when it could not tell. */
  published?: readonly string[] | null;
}

interface ScopedHost {
  host: HostConfig;
  environment: string;
}

/** The hosts a rollback covers (before those already on the target are left out). */
export function rollbackHosts(command: Command, config: ClawopsConfig, envName: string, record: UpgradeTouch | undefined): HostConfig[] {
  if (command.kind !== 'rollback') return [];
  return scope(command, config, envName, record).map((entry) => entry.host);
}

/** The hosts to roll back, each with its environment. */
function scope(command: RollbackCommand, config: ClawopsConfig, envName: string, record: UpgradeTouch | undefined): ScopedHost[] {
  const envs = [envName, ...(command.withStaging === true ? stagingEnvironments(config, envName).map((staging) => staging.name) : [])];
  const all = envs.flatMap((name) => (config.environments[name]?.hosts ?? []).map((host) => ({ host, environment: name })));
  if (record?.changedHosts !== undefined) {
    // Changed hosts go back; the others the upgrade knew (it never reached them) are only verified.
    const changed = record.changedHosts;
    const picked = all.filter(({ host }) => changed[host.name] !== undefined || record.fromVersions?.[host.name] !== undefined);
    if (picked.some(({ host }) => changed[host.name] !== undefined)) return picked;
  }
  // Records without what changed where: the hosts with a recorded version in the named environment.
  const main = all.filter(({ environment }) => environment === envName);
  const recorded = record?.fromVersions === undefined ? [] : main.filter(({ host }) => record.fromVersions?.[host.name] !== undefined);
  return recorded.length > 0 ? recorded : main;
}

function rollbackTarget(command: RollbackCommand, facts: PlanFacts, record: RollbackRecord | undefined, hosts: readonly HostConfig[]): string {
  if (command.toVersion !== undefined) return command.toVersion;
  const recorded = [...new Set(hosts.map((host) => record?.fromVersions?.[host.name]).filter((v): v is string => v !== undefined && isVersion(v)))];
  if (recorded.length > 1) {
    throw new ClawopsError('PLAN_INVALID', `the hosts ran different versions before (${recorded.join(', ')}); say which with --to`, { versions: recorded });
  }
  return recorded[0] ?? facts.targetVersion;
}

/** A rollback only goes back, to a release the hosts have or can install. */
function checkTarget(target: string, envName: string, hosts: readonly HostConfig[], facts: PlanFacts, options: RollbackOptions): void {
  for (const host of hosts) {
    const running = parseVersion(factsFor(facts, host).currentVersion);
    if (running !== null && semver.lt(running, target)) {
      throw new ClawopsError('PLAN_INVALID', `${target} is not older than what ${host.name} runs (${running}): a rollback only goes back; to move forward use /openclaw upgrade ${target} ${envName}`, { host: host.name, version: target });
    }
  }
  const published = options.published;
  if (published === null || published === undefined || published.includes(target)) return;
  const missing = hosts.filter((host) => !factsFor(facts, host).installedVersions.includes(target));
  if (missing.length > 0) {
    throw new ClawopsError('PLAN_INVALID', `openclaw ${target} is neither published by the hosts' registry nor installed under ${missing[0]?.releasesDir ?? 'releasesDir'} on ${missing.map((h) => h.name).join(', ')}; /openclaw version ${envName} shows what is installed`, { version: target });
  }
}


/** Builds the rollback plan for a `rollback` command; `record` is the upgrade being undone, when known. */
export function buildRollbackPlan(command: Command, config: ClawopsConfig, facts: PlanFacts, record?: UpgradeTouch, options: RollbackOptions = {}): Plan {
  if (command.kind !== 'rollback') throw new ClawopsError('PLAN_INVALID', `buildRollbackPlan plans rollbacks, not ${command.kind}`);
  validateRunbookCommands(config);
  const { name: envName } = selectEnvironment(config, command.environment);
  const scoped = scope(command, config, envName, record);
  const touched = record?.changedHosts;
  const wasTouched = (host: HostConfig) => touched === undefined || touched[host.name] !== undefined;
  const scopedHosts = scoped.map((entry) => entry.host);
  const target = rollbackTarget(command, facts, record, scopedHosts.some(wasTouched) ? scopedHosts.filter(wasTouched) : scopedHosts);
  if (!isVersion(target)) throw new ClawopsError('PLAN_INVALID', `no version to roll back to ("${target}"): give --to <version>`, { version: target });

  const running = runningVersions(facts, scopedHosts).fromVersions;
  // A host already on the target was not moved (e.g. the upgrade failed before reaching it): it has
  // no backup of this upgrade to restore, and stopping it would be downtime for nothing. One the
  // upgrade did not switch, running something else, is not this rollback's to change.
  const changed = scopedHosts.filter((host) => command.fromBackup !== undefined
    || (running[host.name] !== target && (wasTouched(host) || command.toVersion !== undefined)));
  const hosts = scopedHosts.filter((host) => changed.includes(host) || running[host.name] === target);
  const leftAlone = scopedHosts.filter((host) => !hosts.includes(host));
  const envOf = new Map(scoped.filter((entry) => hosts.includes(entry.host)).map((entry) => [entry.host.name, entry.environment]));
  const mainHosts = hosts.filter((host) => envOf.get(host.name) === envName);
  const strategy = strategyOf(mainHosts.length > 0 ? mainHosts : hosts.length > 0 ? hosts : scopedHosts, undefined, envName);
  const { fromVersions, known } = runningVersions(facts, hosts);
  const where = envOf.size > 0 && new Set(envOf.values()).size > 1 ? `${envName} (with ${[...new Set(envOf.values())].filter((e) => e !== envName).join(', ')})` : envName;
  if (changed.length === 0) throw new ClawopsError('PLAN_INVALID', `${where} already runs ${target}: nothing to roll back`, { environment: envName, version: target });
  checkTarget(target, envName, changed, facts, options);

  const schemaMoved = facts.schemaChanges === true || record?.schemaChanged === true;
  const modes = new Map<string, HostRollbackMode>();
  for (const host of changed) {
    modes.set(host.name, hostRollbackMode({
      host, facts: factsFor(facts, host), target, from: parseVersion(fromVersions[host.name]), schemaMoved,
      backupId: backupIdFor(host.name, command.fromBackup, record),
      ...(command.fromBackup === undefined ? {} : { fromBackup: command.fromBackup }),
    }));
  }
  const modeOf = (host: HostConfig) => modes.get(host.name)?.mode ?? 'switch';
  const backupOf = (host: HostConfig) => backupIdFor(host.name, command.fromBackup, record);
  const restoring = changed.filter((host) => modeOf(host) === 'restore');
  const backupIds = [...new Set(restoring.map((host) => backupOf(host)).filter((id): id is string => id !== undefined))];
  const backupFile = (host: HostConfig): string => {
    const id = backupOf(host);
    if (id !== undefined && isBackupPath(id)) return id;
    return backupFileFor(host, id ?? facts.upgradeId);
  };
  const context = (host: HostConfig, phase: 'preflight' | 'rollout' | 'verify', batch: number) => {
    const ctx = hostContext(config, facts, host, envOf.get(host.name) ?? envName, phase, batch, target, facts.upgradeId);
    return { ...ctx, backupFile: backupFile(host) };
  };

  const draft: PlanDraft = { steps: [], gates: [], warnings: [] };
  for (const host of leftAlone) {
    draft.warnings.push(`${host.name} runs ${running[host.name] ?? 'an unknown version'}, which the upgrade being undone (${record?.upgradeId ?? ''}) did not switch: left as it is`);
  }
  const explained = [...modes.values()].some((mode) => mode.explained);
  if (explained || new Set([...modes.values()].map((mode) => mode.mode)).size > 1) {
    for (const mode of modes.values()) draft.warnings.push(mode.why);
  } else if (schemaMoved && restoring.length > 0) {
    draft.warnings.push(`the data schema moved forward: ${target} refuses it, so the backup ${backupIds.join(', ')} is restored; whatever was written since it is kept aside, not merged`);
  }

  for (const host of hosts) {
    const ctx = context(host, 'preflight', 0);
    const binary = bindStrategy(ctx).binary('current');
    if (binary !== null) draft.steps.push(probeVersionStep(ctx, binary));
  }
  // Staging hosts go back first, then the named environment, each in its own rolling batches.
  const envOrder = [...new Set(scoped.map((entry) => entry.environment))].sort((a, b) => (a === envName ? 1 : 0) - (b === envName ? 1 : 0));
  let batchIndex = 0;
  for (const name of envOrder) {
    const parallelism = config.environments[name]?.parallelism ?? 1;
    for (const batch of batches(changed.filter((host) => envOf.get(host.name) === name), parallelism)) {
      for (const host of batch) {
        const part = bindStrategy(context(host, 'rollout', batchIndex)).rollback(modeOf(host));
        draft.steps.push(...part.steps);
        draft.gates.push(...part.gates);
        if (part.onFailure !== undefined && part.onFailure.length > 0) draft.onFailure = [...(draft.onFailure ?? []), ...part.onFailure];
        for (const warning of part.warnings) if (!draft.warnings.includes(warning)) draft.warnings.push(warning);
      }
      batchIndex += 1;
    }
  }
  for (const host of hosts) {
    const ctx = context(host, 'verify', 0);
    draft.steps.push(...healthSteps(ctx, bindStrategy(ctx), changed.includes(host), true));
  }
  const how = restoring.length === 0 ? 'switch back'
    : restoring.length === changed.length ? `restore from backup ${backupIds.join(', ')}`
      : changed.map((host) => `${host.name} ${modeOf(host) === 'restore' ? `restore ${backupOf(host) ?? ''}` : 'switch back'}`).join(', ');
  draft.steps.push(fleetStep(config, envName, 'record', 'Record the rollback and report', 'notify', {
    type: 'notify',
    message: `Rollback ${facts.upgradeId}: ${where} ${describeFrom(fromVersions)} → ${target} (${strategy}, ${how})`,
  }, 'record'));
  frontGates(draft, [{ id: 'rollback', title: gateTitle(where, target, changed, modes, backupIds), reason: 'rollback' }]);

  const downtimeOf = (host: HostConfig) => bindStrategy(context(host, 'rollout', 0)).expectedDowntime('rollback', modeOf(host));
  const perHost = explained || new Set(changed.map(modeOf)).size > 1;
  const downtimes = perHost ? changed.map((host) => `${host.name}: ${downtimeOf(host)}`) : [...new Set(changed.map(downtimeOf))];
  const plan: Omit<Plan, 'hash'> = {
    kind: 'rollback',
    environment: envName,
    fromVersions,
    toVersion: target,
    updateType: fleetUpdateType(known, target),
    strategy,
    expectedDowntime: downtimes.join('; '),
    warnings: draft.warnings,
    steps: draft.steps,
    gates: draft.gates,
  };
  if (backupIds.length > 0) plan.backupId = backupIds.join(', ');
  if (draft.onFailure !== undefined) plan.onFailure = draft.onFailure;
  return finishPlan(plan);
}

function gateTitle(where: string, target: string, changed: readonly HostConfig[], modes: ReadonlyMap<string, HostRollbackMode>, backupIds: readonly string[]): string {
  const all = [...modes.values()];
  const explained = all.some((mode) => mode.explained);
  const kinds = new Set(all.map((mode) => mode.mode));
  if (!explained && kinds.size === 1) {
    return kinds.has('restore')
      ? `Roll ${where} back to ${target}: stop, restore backup ${backupIds.join(', ')}, start (downtime)`
      : `Roll ${where} back to ${target} (switch back to the installed release)`;
  }
  const parts = changed.map((host) => modes.get(host.name)?.why ?? host.name);
  return `Roll ${where} back to ${target}: ${parts.join('; ')}`;
}
