import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/runbook/plan.js';
import { isClawopsError } from '../../../src/errors.js';
import type { Command } from '../../../src/commands/types.js';
import { CHANGELOG_2026_9_2, CHANGELOG_2026_9_6, commandLines, fleet, host, planFacts, pm2Fleet, stepIds, thrown } from './fixtures.js';

function upgrade(extra: Partial<Extract<Command, { kind: 'upgrade' }>> = {}): Command {
  return { kind: 'upgrade', version: '2026.9.6', dryRun: false, skipStaging: false, ...extra };
}

describe('buildPlan: pm2 upgrade', () => {
  const config = pm2Fleet();
  const plan = buildPlan(upgrade(), config, planFacts(config));

  it('runs exactly these commands on a production host, in this order', () => {
    const b = '~/.clawops/backups/openclaw-pre-upgrade-u42-prod-a.tar.gz';
    expect(commandLines(plan, 'prod-a')).toEqual([
      'prod-a:probe: ~/.clawops/releases/current/bin/openclaw --version',
      `prod-a:backup: ~/.clawops/releases/current/bin/openclaw backup create --output ${b} --verify --json`,
      `prod-a:backup-verify: ~/.clawops/releases/current/bin/openclaw backup verify ${b} --json`,
      'prod-a:install: npm install -g --prefix ~/.clawops/releases/2026.9.6 openclaw@2026.9.6 --allow-scripts=openclaw',
      'prod-a:link: ln -sfn ~/.clawops/releases/2026.9.6 ~/.clawops/releases/current.tmp',
      'prod-a:switch: mv -T ~/.clawops/releases/current.tmp ~/.clawops/releases/current',
      'prod-a:reload-mark: PM2_HOME=~/.pm2-openclaw restart-mark mark ~/.clawops/releases/.clawops/restart-u42-prod-a-reload.json pm2 openclaw',
      'prod-a:reload: PM2_HOME=~/.pm2-openclaw pm2 reload openclaw --update-env --force',
      'prod-a:health-channels: handoff channels-connected on ~/.openclaw:18789',
    ]);
  });

  it('records the backup id, versions and an honest downtime', () => {
    expect(plan.backupId).toBe('u42');
    expect(plan.fromVersions).toEqual({ 'prod-a': '2026.9.5', 'prod-b': '2026.9.5' });
    expect(plan.updateType).toBe('patch');
    expect(plan.strategy).toBe('pm2');
    expect(plan.expectedDowntime).toContain('4–12 s per host');
    expect(plan.expectedDowntime).toContain('blue-green');
  });

  it('checks ready after the reload, then live + ready + version on every host, then watches and records', () => {
    const ready = plan.steps.find((step) => step.id === 'prod-a:ready');
    expect(ready?.action).toEqual({ type: 'http-check', url: 'http://127.0.0.1:18789/readyz', expect: 'ready', timeoutMs: 60_000, viaHost: true });
    const tail = stepIds(plan).slice(-10);
    expect(tail).toEqual(['prod-a:health-live', 'prod-a:health-ready', 'prod-a:health-version', 'prod-a:health-channels', 'prod-b:health-live', 'prod-b:health-ready', 'prod-b:health-version', 'prod-b:health-channels', 'watch', 'record']);
    const version = plan.steps.find((step) => step.id === 'prod-b:health-version');
    // The running gateway is asked, not the files: the link changes before the process restarts.
    expect(version?.action).toEqual({
      type: 'version-check', expectVersion: '2026.9.6',
      argv: ['~/.clawops/releases/current/bin/openclaw', 'gateway', 'status', '--json', '--port', '18789'],
      env: { OPENCLAW_STATE_DIR: '~/.openclaw' },
    });
    const status = (port: string) => ({ argv: ['~/.clawops/releases/current/bin/openclaw', 'gateway', 'status', '--json', '--port', port], env: { OPENCLAW_STATE_DIR: '~/.openclaw' } });
    expect(plan.steps.find((step) => step.id === 'watch')?.action).toEqual({
      type: 'watch', minutes: 30, intervalSeconds: 60, expectVersion: '2026.9.6', versions: { 'prod-a': status('18789'), 'prod-b': status('18789') },
    });
  });

  it('marks installs repeatable and the switch not, with a check that tells it is done', () => {
    const byId = new Map(plan.steps.map((step) => [step.id, step]));
    expect(byId.get('prod-a:install')?.safeToRepeat).toBe(true);
    expect(byId.get('prod-a:probe')?.safeToRepeat).toBe(true);
    expect(byId.get('prod-a:switch')?.safeToRepeat).toBe(false);
    expect(byId.get('prod-a:switch')?.verify).toEqual({ argv: ['test', '~/.clawops/releases/current', '-ef', '~/.clawops/releases/2026.9.6'] });
    expect(byId.get('prod-a:reload')?.safeToRepeat).toBe(false);
    // The reload is checked against the process noted just before it (src/runbook/restart-mark.ts).
    expect(byId.get('prod-a:reload')?.verify?.argv.slice(3)).toEqual(['check', '~/.clawops/releases/.clawops/restart-u42-prod-a-reload.json', 'pm2', 'openclaw']);
    expect(byId.get('prod-a:reload')?.verify?.env).toEqual({ PM2_HOME: '~/.pm2-openclaw' });
    expect(byId.get('prod-a:reload-mark')?.safeToRepeat).toBe(true);
    expect(byId.get('prod-a:backup')?.verify?.argv).toEqual(['~/.clawops/releases/current/bin/openclaw', 'backup', 'verify', '~/.clawops/backups/openclaw-pre-upgrade-u42-prod-a.tar.gz', '--json']);
    expect(byId.get('prod-a:install')?.timeoutMs).toBe(600_000);
  });

  it('skips the install when the target is already installed side by side', () => {
    const facts = planFacts(config, { hostExtra: { installedVersions: ['2026.9.5', '2026.9.6'] } });
    expect(stepIds(buildPlan(upgrade(), config, facts))).not.toContain('prod-a:install');
  });

  it('does not touch a host that already runs the target', () => {
    const facts = planFacts(config);
    const other = buildPlan(upgrade(), config, { ...facts, hosts: { ...facts.hosts, 'prod-b': { host: 'prod-b', currentVersion: 'OpenClaw 2026.9.6 (ec9c1a1)', installedVersions: ['2026.9.6'] } } });
    expect(stepIds(other).filter((id) => id.startsWith('prod-b:'))).toEqual(['prod-b:probe', 'prod-b:health-live', 'prod-b:health-ready', 'prod-b:health-version', 'prod-b:health-channels']);
    expect(other.warnings).toContain('prod-b: already runs 2026.9.6; it is only checked');
  });

  it('asks every host after its version check whether all channels reconnected, reported; not on docker compose', () => {
    const ids = stepIds(plan);
    expect(ids.indexOf('prod-a:health-channels')).toBe(ids.indexOf('prod-a:health-version') + 1);
    const channels = plan.steps.find((step) => step.id === 'prod-a:health-channels');
    expect(channels?.title).toBe('Health: channels connected (channels status --probe)');
    expect(channels?.report).toBe(true);
    expect(channels?.action.type).toBe('command');
    expect(channels?.action.type === 'command' ? channels.action.env : undefined).toEqual({ OPENCLAW_STATE_DIR: '~/.openclaw', OPENCLAW_GATEWAY_PORT: '18789' });
    const compose = fleet({ production: { hosts: [host('gw', { kind: 'docker-compose', file: '/srv/openclaw/docker-compose.yml' })] } });
    const composePlan = buildPlan(upgrade(), compose, planFacts(compose));
    expect(stepIds(composePlan)).toContain('gw:health-version');
    expect(stepIds(composePlan).some((id) => id.endsWith(':health-channels'))).toBe(false);
  });
});

describe('buildPlan: staging, gates, batches, hosts', () => {
  const config = pm2Fleet({ parallelism: 2, productionHosts: 3 });

  it('upgrades and checks staging (doctor included) before any production host', () => {
    const plan = buildPlan(upgrade(), config, planFacts(config));
    const ids = stepIds(plan);
    const lastStaging = ids.lastIndexOf('stage-a:health-doctor');
    const firstProdChange = ids.indexOf('prod-a:backup');
    expect(ids.indexOf('stage-a:reload')).toBeGreaterThan(-1);
    expect(lastStaging).toBeGreaterThan(ids.indexOf('stage-a:health-version'));
    expect(lastStaging).toBeLessThan(firstProdChange);
    expect(plan.steps.filter((step) => step.phase === 'staging').every((step) => step.environment === 'staging')).toBe(true);
    expect(plan.gates).toEqual([]);
  });

  it('--skip-staging drops the staging part and adds a skip-staging gate before the first step', () => {
    const facts = planFacts(config);
    const { 'stage-a': _dropped, ...withoutStaging } = facts.hosts;
    const plan = buildPlan(upgrade({ skipStaging: true }), config, { ...facts, hosts: withoutStaging });
    expect(stepIds(plan).some((id) => id.startsWith('stage-a:'))).toBe(false);
    expect(plan.gates).toEqual([{ id: 'skip-staging', title: 'Skip staging (staging) and upgrade production directly', reason: 'skip-staging', beforeStep: 'prod-a:probe' }]);
    expect(plan.steps[0]?.after).toEqual(['skip-staging']);
  });

  it('has no staging part when staging itself is the target', () => {
    const plan = buildPlan(upgrade({ environment: 'staging' }), config, planFacts(config));
    expect(plan.environment).toBe('staging');
    expect(stepIds(plan).some((id) => id.startsWith('prod-'))).toBe(false);
    expect(plan.gates).toEqual([]);
  });

  it('rolls production in batches of `parallelism`', () => {
    const plan = buildPlan(upgrade(), config, planFacts(config));
    const reloads = plan.steps.filter((step) => step.id.endsWith(':reload') && step.phase === 'rollout');
    expect(reloads.map((step) => [step.host, step.batch])).toEqual([['prod-a', 0], ['prod-b', 0], ['prod-c', 1]]);
    // Batch 2 starts only after every step of batch 1.
    const ids = stepIds(plan);
    expect(ids.indexOf('prod-c:backup')).toBeGreaterThan(ids.indexOf('prod-b:ready'));
  });

  it('--hosts limits the rollout to those hosts', () => {
    const plan = buildPlan(upgrade({ hosts: ['prod-c'] }), config, planFacts(config));
    const hosts = new Set(plan.steps.filter((step) => step.environment === 'production').map((step) => step.host));
    expect([...hosts]).toEqual(['prod-c', undefined]);
    expect(plan.fromVersions).toEqual({ 'prod-c': '2026.9.5' });
  });

  it('an unknown --hosts name is an error naming it', () => {
    const error = thrown(() => buildPlan(upgrade({ hosts: ['prod-a', 'prod-z'] }), config, planFacts(config)));
    expect(isClawopsError(error, 'UNKNOWN_HOST')).toBe(true);
    expect((error as Error).message).toContain('prod-z');
  });

  it('an unknown environment is an error', () => {
    expect(isClawopsError(thrown(() => buildPlan(upgrade({ environment: 'qa' }), config, planFacts(config))), 'UNKNOWN_ENVIRONMENT')).toBe(true);
  });

  it('a breaking change adds a breaking-change gate before anything runs', () => {
    const plan = buildPlan(upgrade(), config, planFacts(config, { changelogs: { '2026.9.6': CHANGELOG_2026_9_6 } }));
    expect(plan.gates[0]).toMatchObject({ id: 'breaking-change', reason: 'breaking-change', beforeStep: plan.steps[0]?.id });
    expect(plan.gates[0]?.title).toContain('Node 24.16');
    expect(plan.changelog?.migrations).toHaveLength(1);
    expect(plan.warnings.some((warning) => warning.startsWith('data migration: 2026.9.6'))).toBe(true);
  });

  it('no breaking change, no gate', () => {
    const plan = buildPlan(upgrade({ version: '2026.9.2' }), config, planFacts(config, { current: '2026.9.1', target: '2026.9.2', changelogs: { '2026.9.2': CHANGELOG_2026_9_2 } }));
    expect(plan.gates).toEqual([]);
    expect(plan.changelog).toBeUndefined();
  });

  it('a downgrade asks for confirmation', () => {
    const plan = buildPlan(upgrade({ version: '2026.9.4' }), config, planFacts(config, { target: '2026.9.4' }));
    expect(plan.updateType).toBe('downgrade');
    expect(plan.gates.map((gate) => gate.reason)).toEqual(['confirm']);
  });

  it('refuses a strategy the hosts are not configured for, and facts missing for a host', () => {
    expect(isClawopsError(thrown(() => buildPlan(upgrade({ strategy: 'blue-green' }), config, planFacts(config))), 'PLAN_INVALID')).toBe(true);
    const facts = planFacts(config);
    const { 'prod-b': _gone, ...rest } = facts.hosts;
    expect(isClawopsError(thrown(() => buildPlan(upgrade(), config, { ...facts, hosts: rest })), 'PLAN_INVALID')).toBe(true);
  });
});

describe('buildPlan: config command overrides', () => {
  it('uses the overridden templates, with openclaw resolved to the release binary', () => {
    const config = fleet({ production: { hosts: [host('gw', { kind: 'pm2' }, { releasesDir: '/srv/oc/releases', backupDir: '/var/backups/oc', stateDir: '/srv/oc/state' })] } }, {
      runbook: {
        commands: {
          install: ['/usr/local/bin/npm', 'install', '--global', '--prefix', '{prefix}', 'openclaw@{version}', '--registry', 'https://npm.example.internal/'],
          backupCreate: ['openclaw', 'backup', 'create', '--output', '{backupFile}'],
          version: ['openclaw', 'version', '--json'],
        },
        watch: { minutes: 0 },
      },
    });
    const plan = buildPlan(upgrade(), config, planFacts(config));
    expect(commandLines(plan).slice(0, 4)).toEqual([
      'gw:probe: /srv/oc/releases/current/bin/openclaw version --json',
      'gw:backup: OPENCLAW_STATE_DIR=/srv/oc/state /srv/oc/releases/current/bin/openclaw backup create --output /var/backups/oc/openclaw-pre-upgrade-u42-gw.tar.gz',
      'gw:backup-verify: OPENCLAW_STATE_DIR=/srv/oc/state /srv/oc/releases/current/bin/openclaw backup verify /var/backups/oc/openclaw-pre-upgrade-u42-gw.tar.gz --json',
      'gw:install: /usr/local/bin/npm install --global --prefix /srv/oc/releases/2026.9.6 openclaw@2026.9.6 --registry https://npm.example.internal/',
    ]);
    expect(stepIds(plan)).not.toContain('watch');
  });

  it('a template with an unknown placeholder fails the plan, even when this plan would not run it', () => {
    const config = fleet({ production: { hosts: [host('gw', { kind: 'pm2' })] } }, { runbook: { commands: { doctor: ['openclaw', 'doctor', '--port', '{port}'] } } });
    const error = thrown(() => buildPlan(upgrade(), config, planFacts(config)));
    expect(isClawopsError(error, 'PLAN_INVALID')).toBe(true);
    expect((error as Error).message).toContain('"doctor" uses {port}');
  });
});

describe('plan hash', () => {
  const config = pm2Fleet();

  it('is the same for the same input, whatever the time', () => {
    const a = buildPlan(upgrade(), config, planFacts(config));
    const b = buildPlan(upgrade(), config, { ...planFacts(config), now: '2030-01-01T00:00:00.000Z' });
    expect(a.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(b.hash).toBe(a.hash);
  });

  it('changes when any argv changes', () => {
    const a = buildPlan(upgrade(), config, planFacts(config));
    const other = pm2Fleet({ extra: { runbook: { commands: { doctor: ['openclaw', 'doctor', '--non-interactive', '--fix'] } } } });
    const b = buildPlan(upgrade(), other, planFacts(other));
    expect(b.hash).not.toBe(a.hash);
  });

  it('changes with the target version and the gates', () => {
    const a = buildPlan(upgrade(), config, planFacts(config));
    expect(buildPlan(upgrade(), config, planFacts(config, { target: '2026.9.7' })).hash).not.toBe(a.hash);
    const facts = planFacts(config);
    const { 'stage-a': _s, ...rest } = facts.hosts;
    expect(buildPlan(upgrade({ skipStaging: true }), config, { ...facts, hosts: rest }).hash).not.toBe(a.hash);
  });
});
