/**
 * `rollback --from-backup <id>` is checked on every host it would restore, before the plan is
 * shown or an approval asked: the file is there (an unknown id is refused naming the ids that
 * exist) and `openclaw backup verify <file> --json` with the release running now accepts it.
 */
import type { ClawopsConfig, HostConfig } from '../config/schema.js';
import { ClawopsError } from '../errors.js';
import { toRemoteTarget } from '../jobs/targets.js';
import type { RemoteShell } from '../remote/types.js';
import { backupFileFor, releaseBinary, runbookCommand } from '../runbook/index.js';
import { backupListArgv, isBackupPath, parseBackupListing } from '../runbook/backup-ids.js';


function excerpt(text: string): string {
  const trimmed = text.trim().split('\n').slice(-2).join(' ');
  return trimmed.length > 200 ? `…${trimmed.slice(-200)}` : trimmed;
}

/** Throws a PLAN_INVALID naming every host where the backup is missing or does not verify. */
export async function checkFromBackup(shell: RemoteShell, config: ClawopsConfig, hosts: readonly HostConfig[], id: string, signal?: AbortSignal): Promise<void> {
  const options = { timeoutMs: config.runbook.timeouts.commandSeconds * 1000, ...(signal ? { signal } : {}) };
  const problems = await Promise.all(hosts.map(async (host): Promise<string | null> => {
    const target = toRemoteTarget(host);
    const file = isBackupPath(id) ? id : backupFileFor(host, id);
    if (isBackupPath(id)) {
      const found = await shell.run(target, ['test', '-f', file], options);
      if (found.exitCode !== 0) return `${host.name} has no file ${file}`;
    } else {
      const listed = await shell.run(target, backupListArgv(host.backupDir), options);
      const ids = listed.exitCode === 0 ? parseBackupListing(listed.stdout, host.name).map((entry) => entry.id) : [];
      if (!ids.includes(id)) return `${host.name} has no backup "${id}" (${ids.length === 0 ? `no backups in ${host.backupDir}` : `ids there: ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', …' : ''}`})`;
    }
    const verify = runbookCommand(config, 'backupVerify', { backupFile: file }, [releaseBinary(host, 'current')]);
    const verified = await shell.run(target, verify, options);
    if (verified.exitCode !== 0) return `${host.name}: ${file} does not verify (exit ${verified.exitCode}: ${excerpt(verified.stderr || verified.stdout)})`;
    return null;
  }));
  const found = problems.filter((problem): problem is string => problem !== null);
  if (found.length > 0) {
    throw new ClawopsError('PLAN_INVALID', `cannot restore backup "${id}": ${found.join('; ')}. /openclaw backup list shows the ids`, { backup: id });
  }
}
