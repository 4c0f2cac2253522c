/**
 * Before a rollback is planned: can the release we go back to read each host's state as it is
 * now? Asked the way OpenClaw documents it (docs/reference/database-schemas, "Preflight a target
 * release"): the running release takes a consolidated snapshot of the live database (`backup
 * sqlite create --global`), and the OLDER release's own `database preflight` judges that copy. On
 * the live database (WAL sidecars) the answer is always "indeterminate" — read as "unchanged",
 * that once planned a switch-back into a crash loop (exit 78). Anything but a clear answer is
 * `unknown`, which the rollback plan treats like `incompatible`: restore the verified backup.
 * Nothing here changes the host's state; the snapshot is removed again.
 */
import type { ClawopsConfig, HostConfig } from '../config/schema.js';
import type { RemoteShell } from '../remote/types.js';
import { releaseBinary, runbookCommand, stateEnv, trimSlash } from '../runbook/index.js';
import type { HostFacts } from '../runbook/types.js';
import { outputExcerpt } from './execute-step.js';
import { toRemoteTarget } from './targets.js';

export type StateCompatibility = NonNullable<HostFacts['stateCompatibility']>;

function firstJson(text: string): Record<string, unknown> | null {
  const brace = text.indexOf('{');
  if (brace < 0) return null;
  try {
    const parsed = JSON.parse(text.slice(brace)) as unknown;
    return typeof parsed === 'object' && parsed !== null ? parsed as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

/** `snapshotPath` from `backup sqlite create --json`, or null. */
export function snapshotPathOf(stdout: string): string | null {
  const path = firstJson(stdout)?.snapshotPath;
  return typeof path === 'string' && path.length > 0 ? path : null;
}

/**
 * The older release's verdict from `database preflight --json` (schema
 * `openclaw.state-schema-preflight.v1`): `exact` and `startup-repairable` mean it can run on the
 * state; `migration-required` too (it migrates forward on start); `incompatible` means the state is
 * newer than it; everything else — `indeterminate`, no JSON, a crash — is `unknown`.
 */
export function preflightVerdict(version: string, stdout: string, stderr: string, exitCode: number): StateCompatibility {
  const report = firstJson(stdout);
  const status = typeof report?.status === 'string' ? report.status : null;
  const found = report?.foundVersion ?? '?';
  const supports = report?.targetVersion ?? '?';
  const schemas = `state schema ${String(found)}, ${version} supports ${String(supports)}`;
  switch (status) {
    case 'exact':
    case 'startup-repairable':
    case 'migration-required':
      return { verdict: 'compatible', detail: `${status}: ${schemas}` };
    case 'incompatible':
      return { verdict: 'incompatible', detail: schemas };
    default: {
      const reason = typeof report?.reason === 'string' ? report.reason : outputExcerpt(stdout, stderr, 2) || `exit ${exitCode}`;
      return { verdict: 'unknown', detail: `${status ?? 'no answer'}: ${reason}` };
    }
  }
}

/**
 * Snapshot with the running release, preflight with `olderVersion`, remove the snapshot. Hosts of
 * strategies without a side-by-side release (docker) or whose old color keeps its own state
 * (blue-green) are not asked: the caller leaves them out.
 */
export async function checkStateCompatibility(shell: RemoteShell, config: ClawopsConfig, host: HostConfig, olderVersion: string, runId: string, signal?: AbortSignal): Promise<StateCompatibility> {
  const target = toRemoteTarget(host);
  const options = { timeoutMs: config.runbook.timeouts.commandSeconds * 1000, ...(signal ? { signal } : {}) };
  const repository = `${trimSlash(host.backupDir)}/clawops-state-check-${runId}`;
  const env = stateEnv(host.stateDir);
  const withEnv = Object.keys(env).length > 0 ? { ...target, env: { ...target.env, ...env } } : target;
  try {
    const installed = await shell.run(target, ['test', '-x', releaseBinary(host, olderVersion)], options);
    if (installed.exitCode !== 0) return { verdict: 'unknown', detail: `${olderVersion} is not installed in ${host.releasesDir}, so its own schema check cannot run` };
    await shell.run(target, ['mkdir', '-p', repository], options);
    const snapshot = await shell.run(withEnv, runbookCommand(config, 'databaseSnapshot', { repository }, [releaseBinary(host, 'current')]), options);
    const path = snapshot.exitCode === 0 ? snapshotPathOf(snapshot.stdout) : null;
    if (path === null) {
      return { verdict: 'unknown', detail: `the running release could not snapshot the state database (exit ${snapshot.exitCode}: ${outputExcerpt(snapshot.stdout, snapshot.stderr, 2)})` };
    }
    const preflight = await shell.run(withEnv, runbookCommand(config, 'databasePreflight', { database: `${path}/database.sqlite` }, [releaseBinary(host, olderVersion)]), options);
    return preflightVerdict(olderVersion, preflight.stdout, preflight.stderr, preflight.exitCode);
  } catch (error) {
    return { verdict: 'unknown', detail: `the schema check on ${host.name} failed: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    // The snapshot holds the state's secrets (auth profiles, channel state): never leave it behind.
    await shell.run(target, ['rm', '-rf', repository], options).catch(() => undefined);
  }
}
