/**
 * Which path a rollback takes on each host, and why: switch back to the installed release, or
 * stop and restore the upgrade's verified backup. Decided per host, never for the whole plan:
 * one host's state may be readable by the old release while another's is not.
 */
import { ClawopsError } from '../errors.js';
import type { HostConfig } from '../config/schema.js';
import type { HostFacts, RollbackRecord } from './types.js';
import type { RollbackMode } from './strategies/index.js';

/** One host's rollback path and the reason shown in the gate, warnings and expected downtime. */
export interface HostRollbackMode {
  mode: RollbackMode;
  /** e.g. "prod-1: 2026.9.5 cannot read the state 2026.9.6 migrated (incompatible): restore backup u42". */
  why: string;
  /** Whether the decision came from the host's own verdict or a per-host rule (shown in the gate title). */
  explained: boolean;
}

export interface ModeInput {
  host: HostConfig;
  facts: HostFacts;
  /** The version the host goes back to. */
  target: string;
  /** The version the host runs now, when readable. */
  from: string | null;
  fromBackup?: string;
  /** The backup this host would restore (undefined: none is known for it). */
  backupId: string | undefined;
  /** Legacy signal when the host has no verdict: the facts or the upgrade record say the schema moved. */
  schemaMoved: boolean;
}

/**
 * `--from-backup` → restore; blue-green → switch (the old color never ran the new version on its
 * own state); a `compatible` verdict → switch; `incompatible` or `unknown` → restore the backup,
 * refused when none is known (never a blind switch-back); no verdict → the schema-moved signal.
 */
export function hostRollbackMode(input: ModeInput): HostRollbackMode {
  const { host, facts, target, backupId } = input;
  const name = host.name;
  const from = input.from ?? 'the current version';
  if (input.fromBackup !== undefined) return { mode: 'restore', why: `${name}: --from-backup: restore backup ${input.fromBackup}`, explained: false };
  if (host.strategy.kind === 'blue-green') {
    return { mode: 'switch', why: `${name}: blue-green: traffic goes back to the old color, which never ran ${from} on its state`, explained: facts.stateCompatibility !== undefined };
  }
  const verdict = facts.stateCompatibility;
  if (verdict === undefined && host.strategy.kind === 'docker-compose') {
    // No schema check runs inside a container, and the changelog can miss a migration: going back
    // to an older image on a migrated volume crash-loops (exit 78). Unknown means restore.
    if (backupId === undefined) {
      throw new ClawopsError('PLAN_INVALID', `${name}: nothing can check whether ${target} reads the state in the ${host.strategy.service} volume, so the rollback restores a backup, and none of the upgrade is known: give --from-backup <id>`, { host: name });
    }
    return { mode: 'restore', why: `${name}: no schema check runs inside the container: restore backup ${backupId} into the volume, then ${target} starts`, explained: false };
  }
  if (verdict === undefined) {
    if (!input.schemaMoved) return { mode: 'switch', why: `${name}: switch back to the installed ${target}`, explained: false };
    if (backupId === undefined) {
      throw new ClawopsError('PLAN_INVALID', 'the data schema moved forward, so the rollback must restore the pre-upgrade backup, and none is known: give --from-backup <upgrade id or file>', { host: name });
    }
    return { mode: 'restore', why: `${name}: the data schema moved forward: restore backup ${backupId}`, explained: false };
  }
  if (verdict.verdict === 'compatible') {
    return { mode: 'switch', why: `${name}: ${target} reads the state ${from} left (compatible${detailOf(verdict.detail)}): switch back`, explained: true };
  }
  const cannot = verdict.verdict === 'incompatible'
    ? `${target} cannot read the state ${from} migrated (${verdict.verdict}${detailOf(verdict.detail)})`
    // Unknown is not "cannot": it is a check that did not complete, treated the safe way.
    : `${target}'s own schema check of the state ${from} left did not complete (${verdict.verdict}${detailOf(verdict.detail)})`;
  if (backupId === undefined) {
    throw new ClawopsError('PLAN_INVALID', `${name}: ${cannot}, so the rollback must restore a backup, and no backup of the upgrade is known for ${name}: give --from-backup <id> (backup list shows the ids)`, { host: name, verdict: verdict.verdict });
  }
  return { mode: 'restore', why: `${name}: ${cannot}: restore backup ${backupId}`, explained: true };
}

function detailOf(detail: string): string {
  const trimmed = detail.trim();
  return trimmed === '' ? '' : `: ${trimmed}`;
}

/** The backup a host restores: `--from-backup`, else the upgrade's, when that host was backed up. */
export function backupIdFor(hostName: string, fromBackup: string | undefined, record: (RollbackRecord & { backedUp?: readonly string[] }) | undefined): string | undefined {
  if (fromBackup !== undefined) return fromBackup;
  if (record === undefined) return undefined;
  if (record.backedUp !== undefined && !record.backedUp.includes(hostName)) return undefined;
  return record.backupId ?? record.upgradeId;
}
