/**
 * The rollback plan. Default: the old release is still installed side by side, so switch
 * `current` back and reload/restart (blue-green: start the old color if it was stopped and move
 * traffic back). When the data schema moved forward (facts or the upgrade record say so) or
 * `--from-backup` is given, an older build would refuse the data (exit 78): stop, restore the
 * backup into a fresh dir, swap dirs while stopped (the current one is kept as
 * `<stateDir>.rolled-back-<id>`), switch the link to the old release, start. Blue-green needs no
 * restore for a schema change: the old color never ran the new version on its own state dir.
 * Always behind a `rollback` gate; then version, doctor and health are verified on every host.
 */
import { ClawopsError } from '../errors.js';
import type { Command } from '../commands/types.js';
import type { ClawopsConfig, HostConfig } from '../config/schema.js';
import type { Plan, PlanFacts, RollbackRecord } from './types.js';
import type { RollbackMode } from './strategies/index.js';
import { bindStrategy } from './strategies/index.js';
import { backupFileFor } from './context.js';
import { describeFrom, finishPlan, fleetStep, frontGates, healthSteps, hostContext, strategyOf, type PlanDraft } from './plan.js';
import { batches, runningVersions, selectEnvironment, selectHosts } from './select.js';
import { probeVersionStep } from './steps.js';
import { validateRunbookCommands } from './template.js';
import { fleetUpdateType, isVersion } from './version.js';

type RollbackCommand = Extract<Command, { kind: 'rollback' }>;

function rollbackTarget(command: RollbackCommand, facts: PlanFacts, record: RollbackRecord | undefined, hosts: readonly HostConfig[]): string {
  if (command.toVersion !== undefined) return command.toVersion;
  const recorded = [...new Set(hosts.map((host) => record?.fromVersions?.[host.name]).filter((v): v is string => v !== undefined && isVersion(v)))];
  if (recorded.length > 1) {
    throw new ClawopsError('PLAN_INVALID', `the hosts ran different versions before (${recorded.join(', ')}); say which with --to`, { versions: recorded });
  }
  return recorded[0] ?? facts.targetVersion;
}

function isPath(text: string): boolean {
  return text.startsWith('/') || text.startsWith('~/');
}

/** Builds the rollback plan for a `rollback` command; `record` is the upgrade being undone, when known. */
export function buildRollbackPlan(command: Command, config: ClawopsConfig, facts: PlanFacts, record?: RollbackRecord): Plan {
  if (command.kind !== 'rollback') throw new ClawopsError('PLAN_INVALID', `buildRollbackPlan plans rollbacks, not ${command.kind}`);
  validateRunbookCommands(config);
  const { name: envName, env } = selectEnvironment(config, command.environment);
  // The hosts the upgrade touched; one since removed from the config is not rolled back.
  const recorded = record?.fromVersions === undefined ? [] : env.hosts.filter((h) => record.fromVersions?.[h.name] !== undefined).map((h) => h.name);
  const hosts = selectHosts(envName, env, recorded);
  const strategy = strategyOf(hosts, undefined, envName);
  const target = rollbackTarget(command, facts, record, hosts);
  if (!isVersion(target)) throw new ClawopsError('PLAN_INVALID', `no version to roll back to ("${target}"): give --to <version>`, { version: target });

  const schemaMoved = facts.schemaChanges === true || record?.schemaChanged === true;
  const mode: RollbackMode = command.fromBackup !== undefined || (schemaMoved && strategy !== 'blue-green') ? 'restore' : 'switch';
  const backupId = command.fromBackup ?? record?.backupId ?? record?.upgradeId;
  if (mode === 'restore' && backupId === undefined) {
    throw new ClawopsError('PLAN_INVALID', 'the data schema moved forward, so the rollback must restore the pre-upgrade backup, and none is known: give --from-backup <upgrade id or file>', { environment: envName });
  }
  const backupFile = (host: HostConfig): string => {
    if (backupId !== undefined && isPath(backupId)) return backupId;
    return backupFileFor(host, backupId ?? facts.upgradeId);
  };
  const context = (host: HostConfig, phase: 'preflight' | 'rollout' | 'verify', batch: number) => {
    const ctx = hostContext(config, facts, host, envName, phase, batch, target, facts.upgradeId);
    return { ...ctx, backupFile: backupFile(host) };
  };

  const draft: PlanDraft = { steps: [], gates: [], warnings: [] };
  const { fromVersions, known } = runningVersions(facts, hosts);
  // A host already on the target was not moved (e.g. the upgrade failed before reaching it): it has
  // no backup of this upgrade to restore, and stopping it would be downtime for nothing.
  const changed = hosts.filter((host) => command.fromBackup !== undefined || fromVersions[host.name] !== target);
  if (changed.length === 0) throw new ClawopsError('PLAN_INVALID', `${envName} already runs ${target}: nothing to roll back`, { environment: envName, version: target });
  if (schemaMoved && mode === 'restore') draft.warnings.push(`the data schema moved forward: ${target} refuses it, so the backup ${backupId ?? ''} is restored; whatever was written since it is kept aside, not merged`);

  for (const host of hosts) {
    const ctx = context(host, 'preflight', 0);
    const binary = bindStrategy(ctx).binary('current');
    if (binary !== null) draft.steps.push(probeVersionStep(ctx, binary));
  }
  batches(changed, env.parallelism).forEach((batch, index) => {
    for (const host of batch) {
      const part = bindStrategy(context(host, 'rollout', index)).rollback(mode);
      draft.steps.push(...part.steps);
      draft.gates.push(...part.gates);
      for (const warning of part.warnings) if (!draft.warnings.includes(warning)) draft.warnings.push(warning);
    }
  });
  for (const host of hosts) {
    const ctx = context(host, 'verify', 0);
    draft.steps.push(...healthSteps(ctx, bindStrategy(ctx), changed.includes(host), true));
  }
  draft.steps.push(fleetStep(config, envName, 'record', 'Record the rollback and report', 'notify', {
    type: 'notify',
    message: `Rollback ${facts.upgradeId}: ${envName} ${describeFrom(fromVersions)} → ${target} (${strategy}, ${mode === 'restore' ? `restore from backup ${backupId ?? ''}` : 'switch back'})`,
  }, 'record'));
  frontGates(draft, [{
    id: 'rollback',
    title: mode === 'restore'
      ? `Roll ${envName} back to ${target}: stop, restore backup ${backupId ?? ''}, start (downtime)`
      : `Roll ${envName} back to ${target} (switch back to the installed release)`,
    reason: 'rollback',
  }]);

  const downtimes = [...new Set(changed.map((host) => bindStrategy(context(host, 'rollout', 0)).expectedDowntime('rollback', mode)))];
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
  if (mode === 'restore' && backupId !== undefined) plan.backupId = backupId;
  return finishPlan(plan);
}
