import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/commands/parse.js';
import type { Command } from '../../../src/commands/types.js';

const upgradeDefaults = { kind: 'upgrade', dryRun: false, skipStaging: false } as const;

const valid: Array<[string, Command]> = [
  ['upgrade 1.3.0', { ...upgradeDefaults, version: '1.3.0' }],
  ['upgrade v1.3.0', { ...upgradeDefaults, version: '1.3.0' }],
  ['upgrade V2026.9.6 production', { ...upgradeDefaults, version: '2026.9.6', environment: 'production' }],
  ['upgrade 2026.9.1-beta.1 staging', { ...upgradeDefaults, version: '2026.9.1-beta.1', environment: 'staging' }],
  ['upgrade latest', { ...upgradeDefaults, version: 'latest' }],
  ['"upgrade" \'1.3.0\'', { ...upgradeDefaults, version: '1.3.0' }],
  ['UPGRADE Latest', { ...upgradeDefaults, version: 'latest' }],
  ['upgrade 1.3.0 --dry-run --skip-staging', { ...upgradeDefaults, version: '1.3.0', dryRun: true, skipStaging: true }],
  ['upgrade 1.3.0 --strategy blue-green', { ...upgradeDefaults, version: '1.3.0', strategy: 'blue-green' }],
  ['upgrade 1.3.0 --strategy=Docker-Compose', { ...upgradeDefaults, version: '1.3.0', strategy: 'docker-compose' }],
  ['upgrade 1.3.0 --hosts gw-1,gw-2', { ...upgradeDefaults, version: '1.3.0', hosts: ['gw-1', 'gw-2'] }],
  ['upgrade 1.3.0 --hosts gw-1, gw-2', { ...upgradeDefaults, version: '1.3.0', hosts: ['gw-1', 'gw-2'] }],
  ['upgrade 1.3.0 --hosts "gw-1, gw-2"', { ...upgradeDefaults, version: '1.3.0', hosts: ['gw-1', 'gw-2'] }],
  ['upgrade 1.3.0 production --at "2026-12-01 03:00 Europe/Berlin"',
    { ...upgradeDefaults, version: '1.3.0', environment: 'production', schedule: { kind: 'at', text: '2026-12-01 03:00 Europe/Berlin' } }],
  ['upgrade 1.3.0 --at=\'2026-12-01  03:00\'', { ...upgradeDefaults, version: '1.3.0', schedule: { kind: 'at', text: '2026-12-01 03:00' } }],
  ['upgrade 1.3.0 production --at 2026-12-01 03:00 Europe/Berlin --dry-run',
    { ...upgradeDefaults, version: '1.3.0', environment: 'production', schedule: { kind: 'at', text: '2026-12-01 03:00 Europe/Berlin' }, dryRun: true }],
  ['upgrade 1.3.0 --at 03:00 production', { ...upgradeDefaults, version: '1.3.0', environment: 'production', schedule: { kind: 'at', text: '03:00' } }],
  ['upgrade 1.3.0 --at tomorrow 3:00 pm UTC', { ...upgradeDefaults, version: '1.3.0', schedule: { kind: 'at', text: 'tomorrow 3:00 pm UTC' } }],
  ['upgrade 1.3.0 --window next', { ...upgradeDefaults, version: '1.3.0', schedule: { kind: 'window', which: 'next' } }],
  ['upgrade 1.3.0 --window=AUTO', { ...upgradeDefaults, version: '1.3.0', schedule: { kind: 'window', which: 'auto' } }],
  // Options may come before positionals.
  ['upgrade --dry-run 1.3.0 --strategy pm2 staging', { ...upgradeDefaults, version: '1.3.0', environment: 'staging', strategy: 'pm2', dryRun: true }],
  ['rollback', { kind: 'rollback', dryRun: false }],
  ['rollback production', { kind: 'rollback', environment: 'production', dryRun: false }],
  ['rollback production --to v2026.9.5', { kind: 'rollback', environment: 'production', toVersion: '2026.9.5', dryRun: false }],
  ['rollback production --with-staging', { kind: 'rollback', environment: 'production', withStaging: true, dryRun: false }],
  ['rollback --from-backup pre-upgrade-20260314.tar.gz --dry-run', { kind: 'rollback', fromBackup: 'pre-upgrade-20260314.tar.gz', dryRun: true }],
  ['status', { kind: 'status' }],
  ['version', { kind: 'version' }],
  ['version staging', { kind: 'version', environment: 'staging' }],
  ['check', { kind: 'check' }],
  ['check production', { kind: 'check', environment: 'production' }],
  ['changelog 2026.9.5 2026.9.6', { kind: 'changelog', from: '2026.9.5', to: '2026.9.6' }],
  ['changelog v1.2.0 latest', { kind: 'changelog', from: '1.2.0', to: 'latest' }],
  ['backup create', { kind: 'backup', action: 'create' }],
  ['backup Verify production', { kind: 'backup', action: 'verify', environment: 'production' }],
  ['backup list staging', { kind: 'backup', action: 'list', environment: 'staging' }],
  ['doctor', { kind: 'doctor' }],
  ['doctor eu-1', { kind: 'doctor', environment: 'eu-1' }],
  ['schedule list', { kind: 'schedule', action: 'list' }],
  ['schedule cancel 42', { kind: 'schedule', action: 'cancel', id: '42' }],
  ['cancel upg-2026-12-01:7', { kind: 'cancel', upgradeId: 'upg-2026-12-01:7' }],
  ['history', { kind: 'history' }],
  ['history production', { kind: 'history', environment: 'production' }],
  ['help', { kind: 'help' }],
  ['help Upgrade', { kind: 'help', topic: 'upgrade' }],
  ['', { kind: 'help' }],
  ['   ', { kind: 'help' }],
  ['/openclaw', { kind: 'help' }],
  ['--help', { kind: 'help' }],
  ['upgrade --help', { kind: 'help', topic: 'upgrade' }],
  ['backup -h', { kind: 'help', topic: 'backup' }],
];

describe('parseCommand: every command', () => {
  it.each(valid)('%j', (text, command) => {
    expect(parseCommand(text)).toEqual({ ok: true, command });
  });
});

describe('parseCommand: what chat clients do to text', () => {
  const expected: Command = {
    ...upgradeDefaults, version: '1.3.0', environment: 'production', strategy: 'blue-green', hosts: ['a', 'b'],
    schedule: { kind: 'at', text: '2026-12-01 03:00 Europe/Berlin' }, dryRun: true,
  };

  it.each([
    ['a leading /openclaw and extra whitespace', '/openclaw   upgrade  1.3.0\tproduction --strategy blue-green --hosts a,b --at "2026-12-01 03:00 Europe/Berlin" --dry-run  '],
    ['smart double quotes', 'upgrade 1.3.0 production --strategy blue-green --hosts a,b --at \u201C2026-12-01 03:00 Europe/Berlin\u201D --dry-run'],
    ['smart single quotes', 'upgrade 1.3.0 production --strategy blue-green --hosts a,b --at \u20182026-12-01 03:00 Europe/Berlin\u2019 --dry-run'],
    ['an em dash for --', 'upgrade 1.3.0 production \u2014strategy blue-green \u2014hosts a,b \u2014at "2026-12-01 03:00 Europe/Berlin" \u2014dry-run'],
    ['an en dash for --', 'upgrade 1.3.0 production \u2013strategy blue-green --hosts a,b --at "2026-12-01 03:00 Europe/Berlin" \u2013dry-run'],
    ['non-breaking spaces and newlines', 'upgrade\u00A01.3.0\nproduction --strategy blue-green --hosts a,b --at "2026-12-01 03:00 Europe/Berlin" --dry-run'],
    ['upper-case option names', 'upgrade 1.3.0 production --Strategy blue-green --HOSTS a,b --At "2026-12-01 03:00 Europe/Berlin" --Dry-Run'],
  ])('tolerates %s', (_what, text) => {
    expect(parseCommand(text)).toEqual({ ok: true, command: expected });
  });

  it('keeps a quoted word that looks like an option as a value', () => {
    expect(parseCommand('upgrade 1.3.0 --at "--dry-run 3"')).toEqual({
      ok: true, command: { ...upgradeDefaults, version: '1.3.0', schedule: { kind: 'at', text: '--dry-run 3' } },
    });
  });
});
