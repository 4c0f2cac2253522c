import { describe, expect, it } from 'vitest';
import { buildRollbackPlan } from '../../../src/runbook/rollback.js';
import { isClawopsError } from '../../../src/errors.js';
import type { Command } from '../../../src/commands/types.js';
import type { HostFacts, RollbackRecord } from '../../../src/runbook/types.js';
import { commandLines, fleet, host, planFacts, stepIds, thrown } from './fixtures.js';

const RECORD: RollbackRecord = { upgradeId: 'u42', fromVersions: { gw: '2026.9.5' }, toVersion: '2026.9.6', backupId: 'u42' };
const B = '~/.clawops/backups/openclaw-pre-upgrade-u42-gw.tar.gz';

function rollback(extra: Partial<Extract<Command, { kind: 'rollback' }>> = {}): Command {
  return { kind: 'rollback', dryRun: false, ...extra };
}

function plan(strategy: Record<string, unknown>, options: { facts?: Partial<HostFacts>; schemaChanges?: boolean; command?: Partial<Extract<Command, { kind: 'rollback' }>>; record?: RollbackRecord | null } = {}) {
  const config = fleet({ production: { hosts: [host('gw', strategy)] } });
  const facts = planFacts(config, {
    current: '2026.9.6',
    target: '2026.9.5',
    hostExtra: { installedVersions: ['2026.9.5', '2026.9.6'], ...options.facts },
    ...(options.schemaChanges === undefined ? {} : { schemaChanges: options.schemaChanges }),
  });
  return buildRollbackPlan(rollback(options.command), config, { ...facts, upgradeId: 'r7' }, options.record === null ? undefined : (options.record ?? RECORD));
}

describe('rollback: switch back to the installed release', () => {
  it('pm2: switches the link back and reloads, behind a rollback gate, then checks version, doctor and health', () => {
    const result = plan({ kind: 'pm2' });
    expect(commandLines(result)).toEqual([
      'gw:probe: ~/.clawops/releases/current/bin/openclaw --version',
      'gw:link: ln -sfn ~/.clawops/releases/2026.9.5 ~/.clawops/releases/current.tmp',
      'gw:switch: mv -T ~/.clawops/releases/current.tmp ~/.clawops/releases/current',
      'gw:reload-mark: restart-mark mark ~/.clawops/releases/.clawops/restart-r7-gw-reload.json pm2 openclaw',
      'gw:reload: pm2 reload openclaw --update-env --force',
      'gw:health-channels: handoff channels-connected on ~/.openclaw:18789',
      'gw:health-doctor: ~/.clawops/releases/current/bin/openclaw doctor --non-interactive',
    ]);
    expect(result.kind).toBe('rollback');
    expect(result.toVersion).toBe('2026.9.5');
    expect(result.updateType).toBe('downgrade');
    expect(result.gates).toEqual([{ id: 'rollback', title: 'Roll production back to 2026.9.5 (switch back to the installed release)', reason: 'rollback', beforeStep: 'gw:probe' }]);
    expect(result.steps.find((step) => step.id === 'gw:health-version')?.action).toMatchObject({ type: 'version-check', expectVersion: '2026.9.5' });
    expect(stepIds(result).slice(-6)).toEqual(['gw:health-live', 'gw:health-ready', 'gw:health-version', 'gw:health-channels', 'gw:health-doctor', 'record']);
  });

  it('installs the old release first when it is gone', () => {
    const result = plan({ kind: 'pm2' }, { facts: { installedVersions: ['2026.9.6'] } });
    expect(commandLines(result)[1]).toBe('gw:install: npm install -g --prefix ~/.clawops/releases/2026.9.5 openclaw@2026.9.5 --allow-scripts=openclaw');
  });

  it('systemd: restarts after switching back', () => {
    expect(commandLines(plan({ kind: 'systemd', sudo: true })).slice(1, 6)).toEqual([
      'gw:link: ln -sfn ~/.clawops/releases/2026.9.5 ~/.clawops/releases/current.tmp',
      'gw:switch: mv -T ~/.clawops/releases/current.tmp ~/.clawops/releases/current',
      'gw:daemon-reload: sudo -n systemctl daemon-reload',
      'gw:restart-mark: restart-mark mark ~/.clawops/releases/.clawops/restart-r7-gw-restart.json systemd openclaw.service system restart',
      'gw:restart: sudo -n systemctl restart openclaw.service',
    ]);
  });

  it('takes the version from --to, then the record, then the facts', () => {
    expect(plan({ kind: 'pm2' }, { command: { toVersion: '2026.9.4' } }).toVersion).toBe('2026.9.4');
    expect(plan({ kind: 'pm2' }, { record: null }).toVersion).toBe('2026.9.5');
    const record = { ...RECORD, fromVersions: { gw: '2026.9.3' } };
    expect(plan({ kind: 'pm2' }, { record }).toVersion).toBe('2026.9.3');
  });

  it('refuses when there is nothing to roll back', () => {
    const error = thrown(() => plan({ kind: 'pm2' }, { facts: { currentVersion: '2026.9.5' } }));
    expect(isClawopsError(error, 'PLAN_INVALID')).toBe(true);
    expect((error as Error).message).toContain('already runs 2026.9.5');
  });
});

describe('rollback across a schema change: restore the backup', () => {
  const restoreLines = (stop: string, start: string, ctl: string[] = []) => [
    'gw:probe: ~/.clawops/releases/current/bin/openclaw --version',
    // Extracted and linked while the gateway still serves: the stop lasts only the swap + start.
    'gw:restore: mkdir -p ~/.openclaw.restore-r7',
    `gw:restore-extract: OPENCLAW_STATE_DIR=~/.openclaw.restore-r7.cli-state ~/.clawops/releases/2026.9.5/bin/openclaw backup restore ${B} --target ~/.openclaw.restore-r7/attempt-X`,
    'gw:link: ln -sfn ~/.clawops/releases/2026.9.5 ~/.clawops/releases/current.tmp',
    stop,
    'gw:state-ensure: mkdir -p ~/.openclaw',
    'gw:state-aside: mv -T ~/.openclaw ~/.openclaw.rolled-back-r7',
    "gw:state-swap: find ~/.openclaw.restore-r7/done -mindepth 1 -type d -path '*/payload/posix/*/.openclaw' -prune -exec mv -T '{}' ~/.openclaw ';'",
    'gw:state-check: test -d ~/.openclaw',
    'gw:switch: mv -T ~/.clawops/releases/current.tmp ~/.clawops/releases/current',
    ...ctl,
    start,
    'gw:health-channels: handoff channels-connected on ~/.openclaw:18789',
    'gw:health-doctor: ~/.clawops/releases/current/bin/openclaw doctor --non-interactive',
  ];

  it('pm2: restore into a fresh dir while it serves, then stop, keep the current state aside, swap, switch, start', () => {
    const result = plan({ kind: 'pm2' }, { schemaChanges: true });
    expect(commandLines(result)).toEqual(restoreLines('gw:stop: pm2 stop openclaw', 'gw:start: pm2 start openclaw'));
    expect(result.backupId).toBe('u42');
    expect(result.gates[0]?.title).toBe('Roll production back to 2026.9.5: stop, restore backup u42, start (downtime)');
    expect(result.steps.find((step) => step.id === 'gw:state-aside')).toMatchObject({ safeToRepeat: false, verify: { argv: ['test', '-d', '~/.openclaw.rolled-back-r7'] } });
  });

  it('systemd, because the upgrade record says the schema moved', () => {
    const result = plan({ kind: 'systemd' }, { record: { ...RECORD, schemaChanged: true } });
    expect(commandLines(result)).toEqual(restoreLines('gw:stop: systemctl stop openclaw.service', 'gw:start: systemctl start openclaw.service', ['gw:daemon-reload: systemctl daemon-reload']));
  });

  it('--from-backup takes an upgrade id or a file', () => {
    const byId = plan({ kind: 'pm2' }, { command: { fromBackup: 'u17' } });
    expect(commandLines(byId)).toContain('gw:restore-extract: OPENCLAW_STATE_DIR=~/.openclaw.restore-r7.cli-state ~/.clawops/releases/2026.9.5/bin/openclaw backup restore ~/.clawops/backups/openclaw-pre-upgrade-u17-gw.tar.gz --target ~/.openclaw.restore-r7/attempt-X');
    const byFile = plan({ kind: 'pm2' }, { command: { fromBackup: '/mnt/backups/gw-nightly.tar.gz' } });
    expect(commandLines(byFile)).toContain('gw:restore-extract: OPENCLAW_STATE_DIR=~/.openclaw.restore-r7.cli-state ~/.clawops/releases/2026.9.5/bin/openclaw backup restore /mnt/backups/gw-nightly.tar.gz --target ~/.openclaw.restore-r7/attempt-X');
  });

  it('refuses when no backup is known', () => {
    const error = thrown(() => plan({ kind: 'pm2' }, { schemaChanges: true, record: null }));
    expect(isClawopsError(error, 'PLAN_INVALID')).toBe(true);
    expect((error as Error).message).toContain('--from-backup');
  });
});

describe('rollback: blue-green', () => {
  const strategy = { kind: 'blue-green', publicUrl: 'https://openclaw.example.com' };

  it('starts the stopped old color on the old release, moves traffic back, stops the new one', () => {
    const result = plan(strategy, { facts: { liveColor: 'green', idleColorRunning: false }, schemaChanges: true });
    expect(commandLines(result)).toEqual([
      'gw:probe: ~/.clawops/releases/current/bin/openclaw --version',
      'gw:back-stop: pm2 delete openclaw-blue',
      // Green's channels stop just before blue starts: one poller per account, never two.
      'gw:handoff-channels: handoff stop-channels on ~/.openclaw-green:19789',
      'gw:back-start: OPENCLAW_STATE_DIR=~/.openclaw pm2 start ~/.clawops/releases/2026.9.5/bin/openclaw --name openclaw-blue --interpreter none -- gateway run --port 18789 --bind loopback',
      'gw:handoff-channels-up: handoff check-channels on ~/.openclaw:18789',
      'gw:nginx-test: nginx -t',
      'gw:nginx-reload: nginx -s reload',
      'gw:link: ln -sfn ~/.clawops/releases/2026.9.5 ~/.clawops/releases/current.tmp',
      'gw:switch: mv -T ~/.clawops/releases/current.tmp ~/.clawops/releases/current',
      'gw:new-stop: pm2 stop openclaw-green',
      'gw:handoff-left: handoff left-behind on ~/.openclaw-green:19789',
      'gw:health-channels: handoff channels-connected on ~/.openclaw:18789',
      'gw:health-doctor: ~/.clawops/releases/current/bin/openclaw doctor --non-interactive',
    ]);
    // What it costs is in the plan, and the last step counts it.
    expect(result.warnings.join('\n')).toContain("blue comes back on ~/.openclaw as blue left it at the handoff (never opened by the new version, so no schema to undo); whatever green wrote since it took over is not carried back");
    expect(result.onFailure?.map((step) => step.id)).toEqual(['gw:undo-back', 'gw:undo-resume']);
    const traffic = result.steps.find((step) => step.id === 'gw:traffic');
    expect(traffic?.action).toMatchObject({ type: 'write-file', content: expect.stringContaining('server 127.0.0.1:18789;') });
    // One approval: the rollback gate; no second traffic gate, and no restore for a schema change.
    expect(result.gates.map((gate) => gate.id)).toEqual(['rollback']);
    expect(result.backupId).toBeUndefined();
    expect(result.expectedDowntime).toMatch(/^none/);
  });

  it('when the old color still runs, only checks it before moving traffic', () => {
    const ids = stepIds(plan(strategy, { facts: { liveColor: 'green', idleColorRunning: true } }));
    expect(ids).not.toContain('gw:back-start');
    expect(ids.indexOf('gw:back-ready')).toBeLessThan(ids.indexOf('gw:traffic'));
  });
});

describe('rollback: docker', () => {
  it('compose: the previous version, pulled and recreated', () => {
    const result = plan({ kind: 'docker-compose', file: '/srv/oc/compose.yml' });
    expect(commandLines(result).slice(1, 3)).toEqual([
      'gw:pull: env OPENCLAW_VERSION=2026.9.5 docker compose -f /srv/oc/compose.yml pull openclaw',
      'gw:up: env OPENCLAW_VERSION=2026.9.5 docker compose -f /srv/oc/compose.yml up -d --no-deps openclaw',
    ]);
  });

  it('compose waits at a gate for the volume restore, schema change or not: no schema check runs in a container', () => {
    for (const schemaChanges of [true, false]) {
      const result = plan({ kind: 'docker-compose', file: '/srv/oc/compose.yml' }, { schemaChanges });
      expect(result.gates.map((gate) => [gate.id, gate.reason, gate.beforeStep])).toEqual([['rollback', 'rollback', 'gw:probe'], ['gw:schema-change', 'schema-change', 'gw:pull']]);
    }
  });

  it('swarm: docker service update --rollback', () => {
    const result = plan({ kind: 'docker-swarm' });
    expect(commandLines(result)).toEqual([
      'gw:service-rollback: docker service update --rollback openclaw',
      "gw:service-ps: docker service ps openclaw --format 'table {{.ID}}\\t{{.Image}}\\t{{.CurrentState}}'",
    ]);
    expect(result.gates[0]?.beforeStep).toBe('gw:service-rollback');
  });
});

describe('rollback: which hosts', () => {
  it('rolls back the hosts the upgrade touched, ignoring hosts gone from the config', () => {
    const config = fleet({ production: { hosts: [host('gw-1', { kind: 'pm2' }), host('gw-2', { kind: 'pm2' })] } });
    const facts = planFacts(config, { current: '2026.9.6', target: '2026.9.5', hostExtra: { installedVersions: ['2026.9.5', '2026.9.6'] } });
    const result = buildRollbackPlan(rollback(), config, facts, { fromVersions: { 'gw-2': '2026.9.5', 'gw-old': '2026.9.5' } });
    expect(Object.keys(result.fromVersions)).toEqual(['gw-2']);
    expect(new Set(result.steps.map((step) => step.host))).toEqual(new Set(['gw-2', undefined]));
  });
});

describe('rollback: a host the failed upgrade never reached', () => {
  it('is not stopped or restored when the schema moved (it has no backup of that upgrade); --from-backup still restores it', () => {
    const config = fleet({ production: { hosts: [host('gw', { kind: 'pm2' }), host('gw2', { kind: 'pm2' })] } });
    const facts = planFacts(config, { current: '2026.9.6', target: '2026.9.5', hostExtra: { installedVersions: ['2026.9.5', '2026.9.6'] } });
    const hosts = { ...facts.hosts, gw2: { host: 'gw2', currentVersion: '2026.9.5', installedVersions: ['2026.9.5'] } };
    const record: RollbackRecord = { ...RECORD, fromVersions: { gw: '2026.9.5', gw2: '2026.9.5' }, schemaChanged: true };
    const result = buildRollbackPlan(rollback(), config, { ...facts, hosts, upgradeId: 'r7' }, record);
    expect(stepIds(result)).toContain('gw:restore-extract');
    expect(stepIds(result).filter((id) => id.startsWith('gw2:'))).toEqual(['gw2:probe', 'gw2:health-live', 'gw2:health-ready', 'gw2:health-version', 'gw2:health-channels', 'gw2:health-doctor']);
    const forced = buildRollbackPlan(rollback({ fromBackup: 'u42' }), config, { ...facts, hosts, upgradeId: 'r7' }, record);
    expect(stepIds(forced)).toContain('gw2:restore-extract');
  });
});
