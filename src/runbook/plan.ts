/**
 * The upgrade plan, following the guide's checklist (seed §7) mapped onto the real OpenClaw CLI
 * (DESIGN.md §2):
 *
 * 1. preflight: probe the running version on every host (staging and target);
 * 2. gates before anything runs: breaking change (changelog), skipped staging, downgrade;
 * 3. staging first (when the fleet has a staging environment and the target is not staging):
 *    per host backup + verify, the strategy's steps, doctor, live/ready/version;
 * 4. rollout: per host backup + verify and the strategy's steps, in rolling batches of the
 *    environment's `parallelism`;
 * 5. verify: live + ready + version == target on every target host;
 * 6. watch (config.runbook.watch), then the upgrade record (notify).
 *
 * A host that already runs the target is not touched (only probed and verified). Staging hosts
 * run their own strategy's steps (a blue-green staging host also waits at its switch-traffic gate).
 */
import { ClawopsError } from '../errors.js';
import type { Command } from '../commands/types.js';
import type { ClawopsConfig, EnvironmentConfig, HostConfig, StrategyKind } from '../config/schema.js';
import type { ChangelogFindings, HostFacts, Plan, PlanFacts, PlanGate, PlanStep, StepPhase, VersionProbe } from './types.js';
import { adoptionFor } from './adopt.js';
import { analyzeChangelogs, hasFindings } from './changelog.js';
import { backupFileFor, gateBefore, hostStep, type HostContext } from './context.js';
import { planHash } from './hash.js';
import { bindStrategy, type BoundStrategy } from './strategies/index.js';
import type { Endpoint } from './strategies/types.js';
import { batches, factsFor, runningVersions, selectEnvironment, selectHosts, stagingEnvironments } from './select.js';
import { backupSteps, doctorStep, liveStep, probeVersionStep, readyStep, versionCheckStep } from './steps.js';
import { compareVersions, fleetUpdateType, isVersion, parseVersion } from './version.js';
import { validateRunbookCommands } from './template.js';
import { channelsConnectedStep } from './handoff.js';

type UpgradeCommand = Extract<Command, { kind: 'upgrade' }>;

/** Strategies that install releases side by side under `releasesDir`. */
const SIDE_BY_SIDE: ReadonlySet<StrategyKind> = new Set(['pm2', 'systemd', 'blue-green']);

/** Shared state while one plan is assembled. */
export interface PlanDraft {
  steps: PlanStep[];
  gates: PlanGate[];
  warnings: string[];
  onFailure?: PlanStep[];
}

export function hostContext(config: ClawopsConfig, facts: PlanFacts, host: HostConfig, environment: string, phase: StepPhase, batch: number, toVersion: string, backupId: string): HostContext {
  const hostFacts: HostFacts = factsFor(facts, host);
  return {
    config, host, facts: hostFacts, environment, phase, batch, toVersion,
    runId: facts.upgradeId,
    fromVersion: parseVersion(hostFacts.currentVersion),
    backupFile: backupFileFor(host, backupId),
  };
}

function addSteps(draft: PlanDraft, part: { steps: PlanStep[]; gates: PlanGate[]; warnings: string[]; onFailure?: PlanStep[] }): void {
  draft.steps.push(...part.steps);
  draft.gates.push(...part.gates);
  if (part.onFailure !== undefined && part.onFailure.length > 0) draft.onFailure = [...(draft.onFailure ?? []), ...part.onFailure];
  for (const warning of part.warnings) if (!draft.warnings.includes(warning)) draft.warnings.push(warning);
}

/** How the verify steps ask a host its running version: the running gateway when the strategy can, else the binary. */
function versionProbe(endpoint: Endpoint): VersionProbe {
  const env = endpoint.running?.env ?? endpoint.versionEnv;
  const argv = [...(endpoint.running?.argv ?? endpoint.versionArgv)];
  return env !== undefined && Object.keys(env).length > 0 ? { argv, env: { ...env } } : { argv };
}

/** Live + ready + version on one host, where the strategy says the gateway serves now. */
export function healthSteps(ctx: HostContext, strategy: BoundStrategy, changed: boolean, withDoctor: boolean): PlanStep[] {
  const endpoint = strategy.endpointAfter(changed);
  const probe = versionProbe(endpoint);
  const steps = [
    liveStep(ctx, endpoint.base, 'health-live'),
    readyStep(ctx, endpoint.base, 'health-ready', 'Health: ready (/readyz)'),
    versionCheckStep(ctx, probe.argv, ctx.toVersion, 'health-version', probe.env),
  ];
  const port = Number(new URL(endpoint.base).port);
  if (SIDE_BY_SIDE.has(strategy.kind) && endpoint.binary !== null && Number.isInteger(port) && port > 0) {
    steps.push(channelsConnectedStep(ctx, endpoint.binary, endpoint.stateDir, port, 'health-channels'));
  }
  if (withDoctor && endpoint.binary !== null) steps.push(doctorStep(ctx, endpoint.binary, endpoint.stateDir, 'health-doctor'));
  return steps;
}

/** Backup (when the strategy can run openclaw there) and the strategy's upgrade steps for one host. */
function upgradeHost(draft: PlanDraft, ctx: HostContext): BoundStrategy {
  const strategy = bindStrategy(ctx);
  if (ctx.fromVersion === ctx.toVersion) {
    draft.warnings.push(`${ctx.host.name}: already runs ${ctx.toVersion}; it is only checked`);
    return strategy;
  }
  // Refuses (PLAN_INVALID, with the fix) before anything runs when the install cannot be adopted.
  const adoption = adoptionFor(ctx);
  if (ctx.fromVersion === null) draft.warnings.push(`${ctx.host.name}: the running version is unknown`);
  else if (adoption === null && SIDE_BY_SIDE.has(strategy.kind) && !ctx.facts.installedVersions.includes(ctx.fromVersion)) {
    draft.warnings.push(`${ctx.host.name}: the running ${ctx.fromVersion} is not installed under ${ctx.host.releasesDir} (clawops expects it there, with ${ctx.host.releasesDir}/current pointing at it); a rollback installs it first`);
  }
  const binary = strategy.binary('current');
  if (binary !== null) addSteps(draft, { steps: backupSteps(ctx, binary, strategy.liveStateDir()), gates: [], warnings: [] });
  addSteps(draft, strategy.upgrade());
  return strategy;
}

function phaseSteps(draft: PlanDraft, config: ClawopsConfig, facts: PlanFacts, envName: string, env: EnvironmentConfig, hosts: readonly HostConfig[], phase: StepPhase, backupId: string): void {
  batches(hosts, env.parallelism).forEach((batch, index) => {
    for (const host of batch) {
      const ctx = hostContext(config, facts, host, envName, phase, index, facts.targetVersion, backupId);
      const strategy = upgradeHost(draft, ctx);
      // Staging proves the release before production: doctor + health right there.
      if (phase === 'staging') draft.steps.push(...healthSteps(ctx, strategy, ctx.fromVersion !== ctx.toVersion, true));
    }
  });
}

export function strategyOf(hosts: readonly HostConfig[], requested: StrategyKind | undefined, envName: string): StrategyKind {
  const kinds = [...new Set(hosts.map((host) => host.strategy.kind))];
  if (requested !== undefined && kinds.some((kind) => kind !== requested)) {
    throw new ClawopsError('PLAN_INVALID', `${envName} is configured for ${kinds.join(', ')}, not ${requested}; change the fleet config to switch strategy`, { environment: envName, strategies: kinds });
  }
  if (kinds.length !== 1) {
    throw new ClawopsError('PLAN_INVALID', `${envName} mixes strategies (${kinds.join(', ')}); upgrade them separately with --hosts`, { environment: envName, strategies: kinds });
  }
  return kinds[0] as StrategyKind;
}

/** Gates that stand before the very first step of the plan. */
export function frontGates(draft: PlanDraft, gates: { id: string; title: string; reason: PlanGate['reason'] }[]): void {
  const first = draft.steps[0];
  if (first === undefined) return;
  draft.gates.unshift(...gates.map((gate) => gateBefore(first, gate.id, gate.title, gate.reason)));
}

export function finishPlan(plan: Omit<Plan, 'hash'>): Plan {
  const seen = new Set<string>();
  for (const step of plan.steps) {
    if (seen.has(step.id)) throw new ClawopsError('PLAN_INVALID', `two steps have the id ${step.id}: host names must be unique across the fleet`, { stepId: step.id });
    seen.add(step.id);
  }
  return { ...plan, hash: planHash(plan) };
}

function changelogWarnings(findings: ChangelogFindings): string[] {
  return [
    ...findings.migrations.map((entry) => `data migration: ${entry}`),
    ...findings.runtime.map((entry) => `runtime requirement: ${entry}`),
    ...findings.newConfig.map((entry) => `new config option: ${entry}`),
  ];
}

/** Builds the upgrade plan for an `upgrade` command from the config and the facts collected from the hosts. */
export function buildPlan(command: Command, config: ClawopsConfig, facts: PlanFacts): Plan {
  if (command.kind !== 'upgrade') throw new ClawopsError('PLAN_INVALID', `buildPlan plans upgrades, not ${command.kind}`);
  const cmd: UpgradeCommand = command;
  validateRunbookCommands(config);
  const target = facts.targetVersion;
  if (!isVersion(target)) throw new ClawopsError('PLAN_INVALID', `target version "${target}" is not a version (resolve "latest" first)`, { version: target });
  const { name: envName, env } = selectEnvironment(config, cmd.environment);
  const hosts = selectHosts(envName, env, cmd.hosts);
  const strategy = strategyOf(hosts, cmd.strategy, envName);
  const staging = stagingEnvironments(config, envName);
  const stagingHosts = staging.flatMap(({ name, env: stagingEnv }) => stagingEnv.hosts.map((host) => ({ envName: name, env: stagingEnv, host })));
  const backupId = facts.upgradeId;
  const draft: PlanDraft = { steps: [], gates: [], warnings: [] };

  const { fromVersions, known } = runningVersions(facts, hosts);
  const updateType = fleetUpdateType(known, target);
  const oldest = known.length === 0 ? null : ([...known].sort(compareVersions)[0] as string);
  const changelog = analyzeChangelogs(facts.changelogs, oldest, target);
  draft.warnings.push(...changelogWarnings(changelog));
  if (facts.schemaChanges === true) draft.warnings.push(`the data schema moves forward: ${oldest ?? 'the old version'} refuses it afterwards, so a rollback restores the pre-upgrade backup (downtime)`);

  const preflight = [...stagingHosts.filter(() => !cmd.skipStaging), ...hosts.map((host) => ({ envName, env, host }))];
  for (const { envName: name, host } of preflight) {
    const ctx = hostContext(config, facts, host, name, 'preflight', 0, target, backupId);
    const binary = bindStrategy(ctx).binary('current');
    draft.steps.push(binary === null
      ? versionCheckProbe(ctx)
      : probeVersionStep(ctx, binary));
  }

  if (!cmd.skipStaging) {
    for (const { name, env: stagingEnv } of staging) phaseSteps(draft, config, facts, name, stagingEnv, stagingEnv.hosts, 'staging', backupId);
  }
  phaseSteps(draft, config, facts, envName, env, hosts, 'rollout', backupId);
  const changed = hosts.filter((host) => parseVersion(factsFor(facts, host).currentVersion) !== target);
  for (const host of hosts) {
    const ctx = hostContext(config, facts, host, envName, 'verify', 0, target, backupId);
    draft.steps.push(...healthSteps(ctx, bindStrategy(ctx), changed.includes(host), false));
  }
  if (changed.length > 0 && config.runbook.watch.minutes > 0) {
    const { minutes, intervalSeconds } = config.runbook.watch;
    const versions = Object.fromEntries(hosts.map((host) => [host.name, versionProbe(bindStrategy(hostContext(config, facts, host, envName, 'watch', 0, target, backupId)).endpointAfter(changed.includes(host)))]));
    draft.steps.push(fleetStep(config, envName, 'watch', `Watch ${envName} for ${minutes} min (health every ${intervalSeconds} s)`, 'wait', {
      type: 'watch', minutes, intervalSeconds, expectVersion: target, versions,
    }, 'watch'));
  }
  draft.steps.push(fleetStep(config, envName, 'record', 'Record the upgrade log and report', 'notify', {
    type: 'notify',
    message: `Upgrade ${facts.upgradeId}: ${envName} ${describeFrom(fromVersions)} → ${target} (${strategy}); backup ${backupId}`,
  }, 'record'));

  const gates: { id: string; title: string; reason: PlanGate['reason'] }[] = [];
  if (changelog.breaking.length > 0) gates.push({ id: 'breaking-change', title: `Breaking changes up to ${target}: ${changelog.breaking.join(' · ')}`, reason: 'breaking-change' });
  if (cmd.skipStaging && staging.length > 0) gates.push({ id: 'skip-staging', title: `Skip staging (${staging.map((s) => s.name).join(', ')}) and upgrade ${envName} directly`, reason: 'skip-staging' });
  if (updateType === 'downgrade') gates.push({ id: 'downgrade', title: `${target} is older than what ${envName} runs; prefer /openclaw rollback`, reason: 'confirm' });
  frontGates(draft, gates);

  const downtimes = [...new Set(hosts.map((host) => bindStrategy(hostContext(config, facts, host, envName, 'rollout', 0, target, backupId)).expectedDowntime('upgrade')))];
  const plan: Omit<Plan, 'hash'> = {
    kind: 'upgrade',
    environment: envName,
    fromVersions,
    toVersion: target,
    updateType,
    strategy,
    expectedDowntime: changed.length === 0 ? 'none (nothing changes)' : downtimes.join('; '),
    warnings: draft.warnings,
    steps: draft.steps,
    gates: draft.gates,
    backupId,
  };
  if (draft.onFailure !== undefined) plan.onFailure = draft.onFailure;
  if (hasFindings(changelog)) plan.changelog = changelog;
  return finishPlan(plan);
}

function versionCheckProbe(ctx: HostContext): PlanStep {
  const endpoint = bindStrategy(ctx).endpointAfter(false);
  return hostStep(ctx, 'probe', 'Probe the running version', 'probe', { type: 'command', argv: [...endpoint.versionArgv] }, { safeToRepeat: true });
}

export function fleetStep(config: ClawopsConfig, environment: string, id: string, title: string, kind: PlanStep['kind'], action: PlanStep['action'], phase: StepPhase): PlanStep {
  const timeoutMs = action.type === 'watch' ? action.minutes * 60_000 + 60_000 : config.runbook.timeouts.commandSeconds * 1000;
  return { id, title, kind, environment, action, timeoutMs, safeToRepeat: true, phase };
}

export function describeFrom(fromVersions: Readonly<Record<string, string>>): string {
  const versions = [...new Set(Object.values(fromVersions))];
  return versions.length === 1 ? (versions[0] as string) : versions.join('/');
}
