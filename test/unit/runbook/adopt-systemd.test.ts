/**
 * Adopting a systemd unit whose ExecStart runs an `npm i -g` install: a drop-in resets ExecStart
 * and runs the same line on `<releasesDir>/current/bin/openclaw`, then daemon-reload + restart.
 * No systemd runs here: the plan's exact command lines and files are the contract.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../../src/commands/types.js';
import { ClawopsError } from '../../../src/errors.js';
import { execReloadFromUnitText, execStartFromUnitText, parseExecStart } from '../../../src/runbook/adopt-exec-start.js';
import { buildPlan } from '../../../src/runbook/plan.js';
import { buildRollbackPlan } from '../../../src/runbook/rollback.js';
import type { HostFacts, PlanStep } from '../../../src/runbook/types.js';
import { HOME_IN_EXEC_START_SH } from '../../../src/runbook/adopt-systemd.js';
import { commandLine, commandLines, fleet, host, planFacts, stepIds, thrown } from './fixtures.js';

const UPGRADE: Command = { kind: 'upgrade', version: '2026.9.6', dryRun: false, skipStaging: false };
const B = '~/.clawops/backups/openclaw-pre-upgrade-u42-gw.tar.gz';
const EXEC = '/usr/local/bin/openclaw gateway run --port 18789 --bind loopback --allow-unconfigured';
const NEW_EXEC = '~/.clawops/releases/current/bin/openclaw gateway run --port 18789 --bind loopback --allow-unconfigured';
const STAGED = '~/.clawops/releases/systemd-clawops-release.conf';
// systemd refuses a `~/` program: the staged file's ExecStart gets the SSH user's home on the host.
const RESOLVE = `gw:adopt-dropin-home: ${commandLine(['sh', '-c', HOME_IN_EXEC_START_SH, 'sh', '~/', STAGED])}`;
const DROP_IN = `# Written by clawops: runs the release <releasesDir>/current points at.
# Before: ExecStart=${EXEC}
[Service]
ExecStart=
ExecStart=${NEW_EXEC}
`;

function plan(strategy: Record<string, unknown>, facts: Partial<HostFacts>) {
  const config = fleet({ production: { hosts: [host('gw', strategy)] } });
  return buildPlan(UPGRADE, config, planFacts(config, { hostExtra: { installedVersions: [], ...facts } }));
}

function fileSteps(steps: readonly PlanStep[]): Array<{ id: string; path: string; content: string }> {
  return steps.flatMap((step) => step.action.type === 'write-file' ? [{ id: step.id, path: step.action.path, content: step.action.content }] : []);
}

describe('a unit that runs openclaw from the global npm prefix', () => {
  it('gets a drop-in on the link, written with sudo -n when the config says sudo, and is restarted (not reloaded)', () => {
    const p = plan({ kind: 'systemd', sudo: true }, { systemdExecStart: EXEC, systemdHasExecReload: true, systemdExecReload: '/bin/kill -HUP $MAINPID' });
    expect(commandLines(p, 'gw')).toEqual([
      'gw:probe: /usr/local/bin/openclaw --version',
      `gw:backup: /usr/local/bin/openclaw backup create --output ${B} --verify --json`,
      `gw:backup-verify: /usr/local/bin/openclaw backup verify ${B} --json`,
      'gw:install: npm install -g --prefix ~/.clawops/releases/2026.9.6 openclaw@2026.9.6 --allow-scripts=openclaw',
      'gw:install-running: npm install -g --prefix ~/.clawops/releases/2026.9.5 openclaw@2026.9.5 --allow-scripts=openclaw',
      'gw:link: ln -sfn ~/.clawops/releases/2026.9.6 ~/.clawops/releases/current.tmp',
      'gw:switch: mv -T ~/.clawops/releases/current.tmp ~/.clawops/releases/current',
      RESOLVE,
      `gw:adopt-dropin: sudo -n install -D -m 0644 ${STAGED} /etc/systemd/system/openclaw.service.d/clawops-release.conf`,
      'gw:daemon-reload: sudo -n systemctl daemon-reload',
      'gw:restart-mark: restart-mark mark ~/.clawops/releases/.clawops/restart-u42-gw-restart.json systemd openclaw.service system restart',
      'gw:restart: sudo -n systemctl restart openclaw.service',
      'gw:health-channels: handoff channels-connected on ~/.openclaw:18789',
    ]);
    expect(fileSteps(p.steps)).toEqual([{ id: 'gw:adopt-dropin-stage', path: STAGED, content: DROP_IN }]);
    expect(stepIds(p).indexOf('gw:adopt-dropin-stage')).toBe(stepIds(p).indexOf('gw:adopt-dropin') - 2);
    expect(p.expectedDowntime).toContain('systemctl restart');
    expect(p.warnings[0]).toBe(`gw: adopts systemd unit openclaw.service: ExecStart runs ${EXEC} today; after this upgrade /etc/systemd/system/openclaw.service.d/clawops-release.conf `
      + `makes it ${NEW_EXEC} (the unit file is not edited; delete the drop-in to undo), then daemon-reload and restart. 2026.9.5 is installed under ~/.clawops/releases too, so a rollback is a switch back`);
  });

  it('installs the drop-in without sudo when the config has none, and under ~/.config for a user unit', () => {
    const system = plan({ kind: 'systemd', unit: 'openclaw-gw' }, { systemdExecStart: EXEC });
    expect(fileSteps(system.steps)).toEqual([{ id: 'gw:adopt-dropin-stage', path: STAGED, content: DROP_IN }]);
    expect(commandLines(system, 'gw')).toContain(`gw:adopt-dropin: install -D -m 0644 ${STAGED} /etc/systemd/system/openclaw-gw.service.d/clawops-release.conf`);
    const user = plan({ kind: 'systemd', user: true, sudo: true }, { systemdExecStart: EXEC });
    expect(commandLines(user, 'gw')).toContain(`gw:adopt-dropin: install -D -m 0644 ${STAGED} ~/.config/systemd/user/openclaw.service.d/clawops-release.conf`);
    expect(commandLines(user, 'gw').slice(-4)).toEqual([
      'gw:daemon-reload: systemctl --user daemon-reload',
      'gw:restart-mark: restart-mark mark ~/.clawops/releases/.clawops/restart-u42-gw-restart.json systemd openclaw.service user restart',
      'gw:restart: systemctl --user restart openclaw.service', 'gw:health-channels: handoff channels-connected on ~/.openclaw:18789',
    ]);
  });

  it('replaces node + the package script, keeping the systemd prefix and the rest of the line as written', () => {
    const line = '-/usr/bin/node /usr/lib/node_modules/openclaw/openclaw.mjs gateway run --port 18789 --name "my gw"';
    const p = plan({ kind: 'systemd' }, { systemdExecStart: line });
    expect(commandLines(p, 'gw')[0]).toBe('gw:probe: /usr/bin/node /usr/lib/node_modules/openclaw/openclaw.mjs --version');
    expect(fileSteps(p.steps)[0]?.content).toContain('\nExecStart=-~/.clawops/releases/current/bin/openclaw gateway run --port 18789 --name "my gw"\n');
  });

  it('leaves a unit that runs the link alone', () => {
    const p = plan({ kind: 'systemd' }, { systemdExecStart: '/home/openclaw/.clawops/releases/current/bin/openclaw gateway run --port 18789' });
    expect(stepIds(p)).not.toContain('gw:adopt-dropin');
    expect(commandLines(p, 'gw')[0]).toBe('gw:probe: ~/.clawops/releases/current/bin/openclaw --version');
  });

  it('refuses an ExecStart that does not run openclaw, before anything runs', () => {
    const error = thrown(() => plan({ kind: 'systemd' }, { systemdExecStart: '/usr/bin/docker run --rm openclaw/openclaw:2026.9.5' })) as ClawopsError;
    expect(error).toBeInstanceOf(ClawopsError);
    expect(error.code).toBe('PLAN_INVALID');
    expect(error.message).toBe('gw: openclaw.service ExecStart does not run openclaw (/usr/bin/docker run --rm openclaw/openclaw:2026.9.5), so clawops cannot tell what to replace: '
      + "make ExecStart run openclaw's bin/openclaw (e.g. /usr/local/bin/openclaw gateway run --port 18789), or set strategy.unit to the gateway's unit, then plan again");
  });

  it('refuses a rollback of a unit that does not run the link', () => {
    const config = fleet({ production: { hosts: [host('gw', { kind: 'systemd' })] } });
    const facts = planFacts(config, { current: '2026.9.6', target: '2026.9.5', hostExtra: { installedVersions: ['2026.9.5', '2026.9.6'], systemdExecStart: EXEC } });
    const error = thrown(() => buildRollbackPlan({ kind: 'rollback', environment: 'production', dryRun: false, toVersion: '2026.9.5' }, config, facts)) as ClawopsError;
    expect(error.message).toContain(`gw: openclaw.service ExecStart runs ${EXEC}, not ~/.clawops/releases/current/bin/openclaw, so switching releases back changes nothing`);
  });
});

describe('reading ExecStart', () => {
  it('takes the line systemd runs from systemctl cat: drop-ins after the unit, an empty ExecStart= resets', () => {
    const text = `# /etc/systemd/system/openclaw.service
[Unit]
Description=OpenClaw gateway

[Service]
ExecStart=/usr/bin/openclaw gateway run \\
  --port 18789
ExecReload=/bin/kill -USR2 $MAINPID
# ExecStart=/commented/out

# /etc/systemd/system/openclaw.service.d/override.conf
[Service]
ExecStart=
ExecStart=/opt/npm/bin/openclaw gateway run --port 18790
`;
    expect(execStartFromUnitText(text)).toBe('/opt/npm/bin/openclaw gateway run --port 18790');
    expect(execReloadFromUnitText(text)).toBe('/bin/kill -USR2 $MAINPID');
    expect(execStartFromUnitText('[Service]\nExecStart=/usr/bin/openclaw gateway run \\\n  --port 18789\n')).toBe('/usr/bin/openclaw gateway run    --port 18789');
  });

  it('splits at the program: quoted paths, prefixes, and lines that run something else', () => {
    expect(parseExecStart('"/opt/my npm/bin/openclaw" gateway run')).toEqual({ prefix: '', program: '/opt/my npm/bin/openclaw', openclaw: { binary: ['/opt/my npm/bin/openclaw'], rest: ' gateway run' } });
    expect(parseExecStart('/usr/bin/env openclaw gateway run')).toEqual({ prefix: '', program: '/usr/bin/env' });
    expect(parseExecStart('@/usr/bin/openclaw openclaw-gw gateway run')).toEqual({ prefix: '@', program: '/usr/bin/openclaw' });
    expect(parseExecStart('  ')).toBeNull();
  });
});
