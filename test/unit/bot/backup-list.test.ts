import { describe, expect, it } from 'vitest';
import { backupListLine } from '../../../src/bot/queries.js';
import { checkFromBackup } from '../../../src/bot/backup-check.js';
import { backupIdOf } from '../../../src/runbook/backup-ids.js';
import type { RemoteShell, RunResult } from '../../../src/remote/types.js';
import { isClawopsError } from '../../../src/errors.js';
import { fleet, host } from '../runbook/fixtures.js';

const LISTING = [
  '1764878400.5 12345678 openclaw-pre-upgrade-up-20261204-a1b2c3-prod-1.tar.gz',
  '1764882000.0 840000 openclaw-pre-upgrade-manual-20261204T2100-prod-1.tar.gz',
  '1764882100.0 100 openclaw-pre-upgrade-up-x-prod-2.tar.gz',
  '1764882200.0 100 notes.tar.gz',
].join('\n');
const ok = (stdout = ''): RunResult => ({ exitCode: 0, stdout, stderr: '' }) as RunResult;

describe('backup ids', () => {
  it('backup list shows the id --from-backup takes, with size and date, newest first, only the host\'s own files', () => {
    expect(backupListLine('prod-1', ok(LISTING))).toBe('prod-1: 2 backup(s), newest first: manual-20261204T2100 (840 kB, 2025-12-04 21:00 UTC), up-20261204-a1b2c3 (12.3 MB, 2025-12-04 20:00 UTC)');
    expect(backupListLine('prod-1', { exitCode: 1, stdout: '', stderr: 'find: ‘/x’: No such file or directory' } as RunResult)).toBe('prod-1: no backups yet');
  });

  it('reads the id out of a backup file name', () => {
    expect(backupIdOf('~/.clawops/backups/openclaw-pre-upgrade-u42-gw-1.tar.gz', 'gw-1')).toBe('u42');
    expect(backupIdOf('openclaw-pre-upgrade-u42-gw-1.tar.gz', 'gw-2')).toBeNull();
  });
});

describe('rollback --from-backup is checked on every host before planning', () => {
  const config = fleet({ production: { hosts: [host('prod-1', { kind: 'pm2' })] } });
  const hosts = config.environments['production']?.hosts ?? [];

  function shell(verifyExit = 0): RemoteShell & { calls: string[][] } {
    const calls: string[][] = [];
    return {
      calls,
      async run(_target, argv) {
        calls.push([...argv]);
        if (argv[0] === 'find') return ok(LISTING);
        return { exitCode: verifyExit, stdout: '', stderr: verifyExit === 0 ? '' : 'archive truncated' } as RunResult;
      },
      async writeFile() {},
      async close() {},
    };
  }

  it('refuses an unknown id, naming the ids that exist', async () => {
    const error = await checkFromBackup(shell(), config, hosts, 'nope').catch((e: unknown) => e);
    expect(isClawopsError(error, 'PLAN_INVALID')).toBe(true);
    expect((error as Error).message).toBe('cannot restore backup "nope": prod-1 has no backup "nope" (ids there: manual-20261204T2100, up-20261204-a1b2c3). /openclaw backup list shows the ids');
  });

  it('verifies a known id with the running release, and refuses one that does not verify', async () => {
    const fine = shell();
    await checkFromBackup(fine, config, hosts, 'up-20261204-a1b2c3');
    expect(fine.calls[1]).toEqual(['~/.clawops/releases/current/bin/openclaw', 'backup', 'verify', '~/.clawops/backups/openclaw-pre-upgrade-up-20261204-a1b2c3-prod-1.tar.gz', '--json']);
    const error = await checkFromBackup(shell(1), config, hosts, 'up-20261204-a1b2c3').catch((e: unknown) => e);
    expect((error as Error).message).toContain('does not verify (exit 1: archive truncated)');
  });
});
