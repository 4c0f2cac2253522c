/**
 * Backup ids: the `<id>` in `<backupDir>/openclaw-pre-upgrade-<id>-<host>.tar.gz` (src/runbook/context.ts
 * `backupFileFor`): an upgrade's id, or `manual-<stamp>` for `backup create`. `--from-backup` takes it.
 */
const PREFIX = 'openclaw-pre-upgrade-';

/** `--from-backup` names a file (absolute or `~/`) rather than an id. */
export function isBackupPath(text: string): boolean {
  return text.startsWith('/') || text.startsWith('~/');
}

/** The id of one of a host's backup files, or null when the name is not one clawops writes for that host. */
export function backupIdOf(fileName: string, hostName: string): string | null {
  const suffix = `-${hostName}.tar.gz`;
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  if (!base.startsWith(PREFIX) || !base.endsWith(suffix)) return null;
  const id = base.slice(PREFIX.length, base.length - suffix.length);
  return id === '' ? null : id;
}

/** One backup on a host, as `backup list` shows it. */
export interface BackupEntry {
  id: string;
  file: string;
  bytes: number;
  /** Epoch ms of the file's last change. */
  modifiedMs: number;
}

/**
 * Parses `find <dir> -maxdepth 1 -name '*.tar.gz' -printf '%T@ %s %f\n'` into the host's backups,
 * newest first. Files of other hosts or not written by clawops are left out.
 */
export function parseBackupListing(stdout: string, hostName: string): BackupEntry[] {
  const entries: BackupEntry[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^(\d+(?:\.\d+)?) (\d+) (.+)$/.exec(line.trim());
    if (match === null) continue;
    const [, time, size, file] = match as unknown as [string, string, string, string];
    const id = backupIdOf(file, hostName);
    if (id !== null) entries.push({ id, file, bytes: Number(size), modifiedMs: Math.round(Number(time) * 1000) });
  }
  return entries.sort((a, b) => b.modifiedMs - a.modifiedMs);
}

/** `12.3 MB`, `840 kB`, `512 B`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

/** The `find` argv that lists a backup dir for `parseBackupListing`. */
export function backupListArgv(backupDir: string): string[] {
  return ['find', backupDir, '-maxdepth', '1', '-type', 'f', '-name', '*.tar.gz', '-printf', '%T@ %s %f\\n'];
}
