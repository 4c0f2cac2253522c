/**
 * The attempt's token on the host (src/remote/host-fence.ts), against real sshd hosts: a newer
 * attempt ends an older attempt's command still running there before its own starts, an older
 * attempt's later command is refused, and the host's journal says what each attempt ran.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isClawopsError } from '../../src/errors.js';
import { ATTEMPTS_DIR, fencedShell, journalName, parseJournal } from '../../src/remote/host-fence.js';
import { withFleet, type TestHost } from '../harness/index.js';

async function journal(host: TestHost, upgradeId: string) {
  return parseJournal(await readFile(join(host.homeDir, ATTEMPTS_DIR, journalName(upgradeId)), 'utf8').catch(() => ''));
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('attempt tokens on the host', () => {
  const fx = withFleet(1);
  const host = () => fx.hosts[0] as TestHost;

  test('a newer attempt kills the older attempt\'s running command first; the older one is refused after', async () => {
    const upgradeId = 'upg-fence/1';
    const first = fencedShell(fx.shell, { upgradeId, token: 1 }, 'host-a:install');
    const second = fencedShell(fx.shell, { upgradeId, token: 2 }, 'verify:host-a:install');
    const marker = join(host().homeDir, 'old-acted');
    const slow = first.run(host().target, ['sh', '-c', 'sleep 3; touch ~/old-acted']).then((result) => result.exitCode, (error: unknown) => error);
    await waitFor(async () => (await journal(host(), upgradeId)).some((entry) => entry.event === 'start'));

    const verify = await second.run(host().target, ['test', '-e', '/root/old-acted']);
    expect(verify.exitCode).toBe(1);
    // The old command died before the newer one ran: its end never came, nor its action.
    expect(await slow).toBe(137);
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(existsSync(marker)).toBe(false);

    const late = await first.run(host().target, ['touch', '/root/old-acted']).then(() => null, (error: unknown) => error);
    expect(isClawopsError(late, 'SUPERSEDED'), String(late)).toBe(true);
    expect((late as Error).message).toContain('a newer attempt than 1 of upg-fence/1');
    expect(existsSync(marker)).toBe(false);

    const entries = (await journal(host(), upgradeId)).map(({ token, event, label, exitCode }) => ({ token, event, label, exitCode }));
    expect(entries).toEqual([
      { token: 1, event: 'start', label: 'host-a:install', exitCode: undefined },
      { token: 2, event: 'start', label: 'verify:host-a:install', exitCode: undefined },
      { token: 2, event: 'end', label: 'verify:host-a:install', exitCode: 1 },
      { token: 1, event: 'refused', label: 'host-a:install', exitCode: undefined },
    ]);
  }, 20_000);

  test('commands of one attempt run side by side; other upgrades are not touched', async () => {
    const mine = fencedShell(fx.shell, { upgradeId: 'upg-side', token: 4 }, 'host-a:watch');
    const other = fencedShell(fx.shell, { upgradeId: 'upg-other', token: 9 }, 'host-a:install');
    const started = Date.now();
    const results = await Promise.all([
      mine.run(host().target, ['sleep', '1']),
      mine.run(host().target, ['sleep', '1']),
      other.run(host().target, ['sleep', '1']),
    ]);
    expect(results.map((result) => result.exitCode)).toEqual([0, 0, 0]);
    // Side by side, not one after another behind the lock.
    expect(Date.now() - started).toBeLessThan(2900);
    const ends = (await journal(host(), 'upg-side')).filter((entry) => entry.event === 'end');
    expect(ends).toHaveLength(2);
  }, 20_000);

  test('writeFile carries the token too; the fence adds nothing to a command\'s output', async () => {
    const upgradeId = 'upg-write';
    // The first command of an upgrade on a host: nothing of the fence's own shows in its output.
    expect(await fencedShell(fx.shell, { upgradeId, token: 3 }, 'host-a:write').run(host().target, ['true'])).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    const stale = fencedShell(fx.shell, { upgradeId, token: 2 }, 'host-a:write');
    const error = await stale.writeFile(host().target, '/root/written', 'x').then(() => null, (e: unknown) => e);
    expect(isClawopsError(error, 'SUPERSEDED'), String(error)).toBe(true);
    expect(existsSync(join(host().homeDir, 'written'))).toBe(false);
  }, 20_000);
});
