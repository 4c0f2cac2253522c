/**
 * What an upgrade changed, read back from its audit record: which hosts it switched (in which
 * environment), which it backed up, and what each ran before. The rollback planner of the bot and
 * of `clawops plan rollback` both read the audit through `lastUpgradeTouching`.
 */
import type { ClawopsConfig } from '../config/schema.js';
import type { UpgradeTouch } from '../runbook/rollback.js';
import { parseVersion } from '../runbook/version.js';
import type { HistoryEntry, UpgradeRecord } from './store.js';

/** How many history entries (all environments, newest first) a rollback looks back through. */
export const ROLLBACK_LOOKBACK = 50;

/** The environment of each configured host (host names are unique across the fleet). */
export function hostEnvironments(config: ClawopsConfig): Map<string, string> {
  return new Map(Object.entries(config.environments).flatMap(([name, env]) => env.hosts.map((host) => [host.name, name] as const)));
}

/** Hosts with a succeeded step of `kind`. */
function hostsWith(record: UpgradeRecord, kind: string): string[] {
  return [...new Set(record.steps.flatMap((step) => (step.kind === kind && step.status === 'succeeded' && step.host !== undefined ? [step.host] : [])))];
}

/**
 * The upgrade as a rollback needs it. `fromVersions` covers the target environment (from the plan)
 * and the staging hosts that went first (what their preflight probe read).
 */
export function upgradeTouch(record: UpgradeRecord, config: ClawopsConfig): UpgradeTouch {
  const envOf = hostEnvironments(config);
  const changedHosts: Record<string, string> = {};
  for (const host of hostsWith(record, 'switch')) {
    const environment = envOf.get(host);
    if (environment !== undefined) changedHosts[host] = environment;
  }
  const fromVersions: Record<string, string> = {};
  for (const step of record.steps) {
    if (step.host === undefined || step.stepId !== `${step.host}:probe` || step.status !== 'succeeded') continue;
    const version = parseVersion(step.excerpt);
    if (version !== null) fromVersions[step.host] = version;
  }
  Object.assign(fromVersions, record.fromVersions);
  const backedUp = hostsWith(record, 'backup');
  return {
    upgradeId: record.upgradeId,
    environment: record.environment,
    toVersion: record.toVersion,
    fromVersions,
    changedHosts,
    backedUp,
    ...(backedUp.length > 0 ? { backupId: record.upgradeId } : {}),
  };
}

/**
 * The last upgrade that changed a host of `environment`, whichever environment it targeted (an
 * upgrade of production changes staging first). Upgrades still running, and rollbacks, are skipped.
 */
export function lastUpgradeTouching(history: (limit: number) => Promise<readonly HistoryEntry[]>, config: ClawopsConfig): (environment: string) => Promise<UpgradeTouch | null> {
  return async (environment) => {
    const ours = new Set(config.environments[environment]?.hosts.map((host) => host.name) ?? []);
    for (const entry of await history(ROLLBACK_LOOKBACK)) {
      if (entry.type !== 'upgrade' || entry.kind !== 'upgrade' || entry.outcome === undefined) continue;
      const touch = upgradeTouch(entry, config);
      if (Object.keys(touch.changedHosts ?? {}).some((host) => ours.has(host))) return touch;
    }
    return null;
  };
}
