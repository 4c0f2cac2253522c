/**
 * The engine's Planner: reads facts from the hosts (I/O), then hands them to the pure plan
 * builder. `latest` is resolved and changelogs are fetched through the hosts' own npm, so a
 * fleet behind a private registry mirror sees the versions its hosts can install.
 */
import semver from 'semver';
import type { ClawopsConfig, HostConfig } from '../config/schema.js';
import { ClawopsError, isClawopsError } from '../errors.js';
import { collectFacts, type ChangelogSource } from '../jobs/collect-facts.js';
import { checkStateCompatibility } from '../jobs/state-compatibility.js';
import type { Planner } from '../jobs/engine.js';
import { toRemoteTarget } from '../jobs/targets.js';
import type { RemoteShell } from '../remote/types.js';
import { buildPlan, buildRollbackPlan, fillTemplate, selectEnvironment } from '../runbook/index.js';
import { stagingEnvironments } from '../runbook/select.js';
import type { HostFacts } from '../runbook/types.js';
import { rollbackHosts, type UpgradeTouch } from '../runbook/rollback.js';
import { lastUpgradeTouching } from '../audit/last-upgrade.js';
import { checkFromBackup } from './backup-check.js';
import type { HistoryEntry } from '../audit/store.js';

export interface PlannerDeps {
  config: ClawopsConfig;
  shell: RemoteShell;
  /** Defaults to reading CHANGELOG.md out of `npm pack` on the environment's first host. */
  changelogs?: ChangelogSource;
  /**
   * Look-up of the last upgrade that changed a host of an environment (for rollbacks: which hosts,
   * what to go back to, which backup): `lastUpgradeFromHistory` over the audit trail.
   */
  lastUpgrade?: LastUpgrade;
}

const MAX_CHANGELOG_VERSIONS = 25;

export function createPlanner(deps: PlannerDeps): Planner {
  const { config, shell } = deps;
  return async (command, _requester, context) => {
    try {
      const { name: envName, env } = selectEnvironment(config, command.environment);
      const probeHost = env.hosts[0];
      if (probeHost === undefined) throw new ClawopsError('PLAN_INVALID', `${envName} has no hosts`);
      const signal = context.signal;
      const hosts: Record<string, HostFacts> = {};
      // What the hosts' registry publishes, read while the facts are read: it refuses an unknown
      // target below and spares the changelog reader its own listing.
      const published = command.kind === 'upgrade' || command.toVersion !== undefined ? publishedVersions(shell, config, probeHost, signal) : Promise.resolve(null);
      const withStaging = command.kind === 'upgrade' ? !command.skipStaging : command.withStaging === true;
      const envs = withStaging ? [...stagingEnvironments(config, envName).map((staging) => staging.name), envName] : [envName];
      for (const name of envs) {
        Object.assign(hosts, await collectFacts(shell, config, name, {
          ...(name === envName && command.kind === 'upgrade' && command.hosts ? { hosts: command.hosts } : {}),
          ...(signal ? { signal } : {}),
        }));
      }
      const base = { upgradeId: context.upgradeId, now: new Date().toISOString(), hosts };
      if (command.kind === 'upgrade') {
        const targetVersion = command.version === 'latest' ? await resolveLatest(shell, config, probeHost, signal) : command.version;
        const versions = await published;
        if (versions !== null && !versions.includes(targetVersion)) {
          throw new ClawopsError('PLAN_INVALID', `openclaw ${targetVersion} is not published (${probeHost.name}'s registry has no such version; newest: ${newest(versions)}); /openclaw check shows the latest`);
        }
        const from = lowestVersion(Object.values(hosts).map((facts) => facts.currentVersion));
        const source = deps.changelogs ?? npmPackChangelogs(shell, config, probeHost, versions ?? undefined);
        const changelogs = from !== null && semver.gt(targetVersion, from) ? await source(from, targetVersion, signal) : {};
        return buildPlan(command, config, { ...base, targetVersion, changelogs });
      }
      const recorded = await deps.lastUpgrade?.(envName, config) ?? null;
      const inScope = rollbackHosts(command, config, envName, recorded ?? undefined);
      const previous = command.toVersion ?? (recorded?.fromVersions ? lowestVersion(inScope.map((host) => recorded.fromVersions?.[host.name] ?? null)) : null);
      if (previous === null) throw new ClawopsError('PLAN_INVALID', `no earlier upgrade of ${envName} is recorded; say which version to go back to: rollback ${envName} --to <version>`);
      if (command.fromBackup !== undefined) await checkFromBackup(shell, config, inScope, command.fromBackup, signal);
      const judged = await judgeStateCompatibility(shell, config, inScope, hosts, (name) => recorded?.fromVersions?.[name] ?? previous, context.upgradeId, signal);
      const record = recorded && judged && !recorded.schemaChanged ? { ...recorded, schemaChanged: true } : recorded;
      return buildRollbackPlan(command, config, {
        ...base, targetVersion: previous, changelogs: {}, ...(record?.schemaChanged || judged ? { schemaChanges: true } : {}),
      }, record ?? undefined, { published: await published });
    } catch (error) {
      if (isClawopsError(error)) return error;
      throw error;
    }
  };
}

function lowestVersion(versions: ReadonlyArray<string | null>): string | null {
  const valid = versions.filter((version): version is string => version !== null && semver.valid(version) !== null);
  return valid.length === 0 ? null : valid.reduce((a, b) => (semver.lt(a, b) ? a : b));
}

async function resolveLatest(shell: RemoteShell, config: ClawopsConfig, host: HostConfig, signal?: AbortSignal): Promise<string> {
  const argv = fillTemplate(config.runbook.commands.registryVersion, { version: 'latest' });
  const result = await shell.run(toRemoteTarget(host), argv, { timeoutMs: config.runbook.timeouts.commandSeconds * 1000, ...(signal ? { signal } : {}) });
  const version = result.stdout.trim().split('\n').pop()?.trim().replace(/^'|'$/g, '') ?? '';
  if (result.exitCode !== 0 || semver.valid(version) === null) {
    throw new ClawopsError('PLAN_INVALID', `could not resolve "latest" on ${host.name}: ${(result.stderr || result.stdout).trim().slice(0, 200)}`);
  }
  return version;
}

/**
 * The guide's version check, before anything runs: every version the host's registry publishes
 * (`npm view openclaw versions --json`, through the host's own npm and proxy), so a version it does
 * not have is refused instead of failing at the install step after the backups (a half-run
 * upgrade). Null when it cannot tell (no npm on a Docker host, registry down): then the install
 * step reports the problem. Never throws.
 */
async function publishedVersions(shell: RemoteShell, config: ClawopsConfig, host: HostConfig, signal?: AbortSignal): Promise<string[] | null> {
  try {
    const listed = await shell.run(toRemoteTarget(host), ['npm', 'view', 'openclaw', 'versions', '--json'], { timeoutMs: config.runbook.timeouts.commandSeconds * 1000, ...(signal ? { signal } : {}) });
    if (listed.exitCode !== 0) return null;
    const parsed = JSON.parse(listed.stdout) as unknown;
    const versions = (Array.isArray(parsed) ? parsed : [parsed]).filter((v): v is string => typeof v === 'string');
    return versions.length > 0 ? versions : null;
  } catch {
    return null;
  }
}

function newest(versions: readonly string[]): string {
  const valid = versions.filter((version) => semver.valid(version) !== null);
  return valid.length === 0 ? 'none' : [...valid].sort(semver.rcompare)[0] as string;
}

/** CHANGELOG.md of every published version in (from, to], read from `npm pack` tarballs on a host. */
export function npmPackChangelogs(shell: RemoteShell, config: ClawopsConfig, host: HostConfig, published?: readonly string[]): ChangelogSource {
  const target = toRemoteTarget(host);
  const timeoutMs = config.runbook.timeouts.installSeconds * 1000;
  return async (from, to, signal) => {
    const options = { timeoutMs, ...(signal ? { signal } : {}) };
    const versions = published ?? (await publishedVersions(shell, config, host, signal)) ?? [to];
    const wanted = versions.filter((v) => semver.valid(v) && semver.gt(v, from) && semver.lte(v, to)).slice(-MAX_CHANGELOG_VERSIONS);
    const dir = `${host.backupDir}/changelogs`;
    const out: Record<string, string> = {};
    for (const version of wanted) {
      await shell.run(target, ['mkdir', '-p', dir], options);
      const packed = await shell.run(target, ['npm', 'pack', `openclaw@${version}`, '--pack-destination', dir, '--silent'], options);
      const file = packed.stdout.trim().split('\n').pop() ?? '';
      if (packed.exitCode !== 0 || file === '') continue;
      const text = await shell.run(target, ['tar', '-xzOf', `${dir}/${file}`, 'package/CHANGELOG.md'], options);
      if (text.exitCode === 0) out[version] = text.stdout;
      await shell.run(target, ['rm', '-f', `${dir}/${file}`], options);
    }
    return out;
  };
}

/** The last upgrade that changed a host of an environment, whichever environment it targeted (src/audit/last-upgrade.ts). */
export type LastUpgrade = (environment: string, config: ClawopsConfig) => Promise<UpgradeTouch | null>;

/**
 * How the bot and `clawops plan rollback` read the audit for a rollback: `history` lists the audit
 * newest first; it is asked for every environment (undefined), because an upgrade of production
 * changes staging first and is filed under production.
 */
export function lastUpgradeFromHistory(history: (environment: string | undefined, limit: number) => Promise<readonly HistoryEntry[]>): LastUpgrade {
  // All environments (an upgrade of production changes staging first), as far back as lastUpgradeTouching looks.
  return (environment, config) => lastUpgradeTouching((limit) => history(undefined, limit), config)(environment);
}

/**
 * Asks each PM2/systemd host that runs something newer than the version it goes back to whether
 * that older release can read its state (src/jobs/state-compatibility.ts) and records the answer in
 * its facts. True when any host's answer is not a clear "compatible" (the rollback then restores).
 * Blue-green is not asked: its old color kept its own state dir.
 */
async function judgeStateCompatibility(shell: RemoteShell, config: ClawopsConfig, hosts: readonly HostConfig[], facts: Record<string, HostFacts>, goBackTo: (host: string) => string, runId: string, signal?: AbortSignal): Promise<boolean> {
  const verdicts = await Promise.all(hosts.map(async (host) => {
    const running = facts[host.name]?.currentVersion ?? null;
    const older = goBackTo(host.name);
    if (host.strategy.kind !== 'pm2' && host.strategy.kind !== 'systemd') return true;
    if (running === null || semver.valid(running) === null || semver.valid(older) === null || !semver.gt(running, older)) return true;
    const answer = await checkStateCompatibility(shell, config, host, older, runId, signal);
    const hostFacts = facts[host.name];
    if (hostFacts !== undefined) hostFacts.stateCompatibility = answer;
    return answer.verdict === 'compatible';
  }));
  return verdicts.some((compatible) => !compatible);
}
