import { describe, expect, it } from 'vitest';
import { buildRollbackPlan, type UpgradeTouch } from '../../../src/runbook/rollback.js';
import { isClawopsError } from '../../../src/errors.js';
import type { Command } from '../../../src/commands/types.js';
import type { HostFacts } from '../../../src/runbook/types.js';
import { fleet, host, planFacts, pm2Fleet, stepIds, thrown } from './fixtures.js';

type Rollback = Extract<Command, { kind: 'rollback' }>;
const rollback = (extra: Partial<Rollback> = {}): Rollback => ({ kind: 'rollback', dryRun: false, ...extra });

/** production: prod-a, prod-b (pm2); staging: stage-a. Every host runs 2026.9.6 with 2026.9.5 installed beside it. */
function stagedFleet(perHost: Record<string, Partial<HostFacts>> = {}) {
  const config = pm2Fleet();
  const base = planFacts(config, { current: '2026.9.6', target: '2026.9.5', hostExtra: { installedVersions: ['2026.9.5', '2026.9.6'] } });
  const hosts = Object.fromEntries(Object.entries(base.hosts).map(([name, facts]) => [name, { ...facts, ...perHost[name] }]));
  return { config, facts: { ...base, hosts, upgradeId: 'r9' } };
}

const UPGRADE: UpgradeTouch = {
  upgradeId: 'u42', environment: 'production', toVersion: '2026.9.6', backupId: 'u42',
  fromVersions: { 'stage-a': '2026.9.5', 'prod-a': '2026.9.5', 'prod-b': '2026.9.5' },
  changedHosts: { 'stage-a': 'staging', 'prod-a': 'production', 'prod-b': 'production' },
  backedUp: ['stage-a', 'prod-a', 'prod-b'],
};

const hostsOf = (plan: { steps: readonly { host?: string }[] }) => [...new Set(plan.steps.flatMap((step) => (step.host ? [step.host] : [])))];

describe('rollback covers what the upgrade changed', () => {
  it('rollback staging undoes an upgrade of production that failed on staging (the record is filed under production)', () => {
    const { config, facts } = stagedFleet({ 'prod-a': { currentVersion: '2026.9.5' }, 'prod-b': { currentVersion: '2026.9.5' } });
    const record: UpgradeTouch = { ...UPGRADE, changedHosts: { 'stage-a': 'staging' }, backedUp: ['stage-a'] };
    const plan = buildRollbackPlan(rollback({ environment: 'staging' }), config, facts, record);
    expect(plan.environment).toBe('staging');
    expect(hostsOf(plan)).toEqual(['stage-a']);
    expect(plan.toVersion).toBe('2026.9.5');
    expect(stepIds(plan)).toContain('stage-a:switch');
  });

  it('rollback production covers only production when staging passed; --with-staging adds staging, which goes back first', () => {
    const { config, facts } = stagedFleet();
    const plain = buildRollbackPlan(rollback({ environment: 'production' }), config, facts, UPGRADE);
    expect(hostsOf(plain)).toEqual(['prod-a', 'prod-b']);
    const both = buildRollbackPlan(rollback({ environment: 'production', withStaging: true }), config, facts, UPGRADE);
    expect(hostsOf(both).sort()).toEqual(['prod-a', 'prod-b', 'stage-a']);
    const ids = stepIds(both);
    expect(ids.indexOf('stage-a:switch')).toBeLessThan(ids.indexOf('prod-a:switch'));
    expect(both.steps.find((step) => step.id === 'stage-a:switch')?.environment).toBe('staging');
    expect(both.gates[0]?.title).toBe('Roll production (with staging) back to 2026.9.5 (switch back to the installed release)');
  });
});

describe('rollback leaves alone what the undone upgrade did not switch', () => {
  it('a staging host an upgrade found already upgraded is neither rolled back nor checked against the old version', () => {
    const { config, facts } = stagedFleet({ 'prod-b': { currentVersion: '2026.9.5' } });
    // staging-a already ran 2026.9.6 when this upgrade of production started (its probe read that).
    const record: UpgradeTouch = { ...UPGRADE, fromVersions: { 'stage-a': '2026.9.6', 'prod-a': '2026.9.5', 'prod-b': '2026.9.5' }, changedHosts: { 'prod-a': 'production' }, backedUp: ['prod-a'] };
    const plan = buildRollbackPlan(rollback({ environment: 'production', withStaging: true }), config, facts, record);
    expect(plan.toVersion).toBe('2026.9.5');
    expect(hostsOf(plan)).toEqual(['prod-a', 'prod-b']);
    expect(stepIds(plan).filter((id) => id.startsWith('prod-b:'))).toEqual(['prod-b:probe', 'prod-b:health-live', 'prod-b:health-ready', 'prod-b:health-version', 'prod-b:health-channels', 'prod-b:health-doctor']);
    expect(plan.warnings).toContain('stage-a runs 2026.9.6, which the upgrade being undone (u42) did not switch: left as it is');
  });
});

describe('rollback --to only goes back', () => {
  it('refuses a version newer than what runs, pointing at upgrade', () => {
    const config = fleet({ production: { hosts: [host('gw', { kind: 'pm2' })] } });
    const facts = planFacts(config, { current: '1.2.0', target: '1.3.0', hostExtra: { installedVersions: ['1.2.0', '1.3.0'] } });
    const error = thrown(() => buildRollbackPlan(rollback({ environment: 'production', toVersion: '1.3.0' }), config, facts));
    expect(isClawopsError(error, 'PLAN_INVALID')).toBe(true);
    expect((error as Error).message).toBe('1.3.0 is not older than what gw runs (1.2.0): a rollback only goes back; to move forward use /openclaw upgrade 1.3.0 production');
  });

  it('refuses a version the registry does not publish and no host has installed, before any step', () => {
    const config = fleet({ production: { hosts: [host('gw', { kind: 'pm2' })] } });
    const facts = planFacts(config, { current: '1.3.0', target: '1.2.0', hostExtra: { installedVersions: ['1.2.0', '1.3.0'] } });
    const error = thrown(() => buildRollbackPlan(rollback({ toVersion: '1.1.9' }), config, facts, undefined, { published: ['1.2.0', '1.3.0'] }));
    expect((error as Error).message).toContain('openclaw 1.1.9 is neither published by the hosts\' registry nor installed under ~/.clawops/releases on gw');
    // Installed side by side is enough, published or not.
    expect(buildRollbackPlan(rollback({ toVersion: '1.2.0' }), config, facts, undefined, { published: ['1.3.0'] }).toVersion).toBe('1.2.0');
  });
});

describe('rollback path per host from the target release\'s verdict on the state', () => {
  const incompatible = { stateCompatibility: { verdict: 'incompatible' as const, detail: 'schema 7 is newer than 6' } };
  const compatible = { stateCompatibility: { verdict: 'compatible' as const, detail: '' } };

  it('switches where the old release reads the state, restores where it cannot, and says so per host', () => {
    const { config, facts } = stagedFleet({ 'prod-a': compatible, 'prod-b': incompatible });
    const plan = buildRollbackPlan(rollback(), config, facts, UPGRADE);
    const ids = stepIds(plan);
    expect(ids).not.toContain('prod-a:restore-extract');
    expect(ids).toContain('prod-b:restore-extract');
    expect(plan.gates[0]?.title).toBe('Roll production back to 2026.9.5: prod-a: 2026.9.5 reads the state 2026.9.6 left (compatible): switch back; '
      + 'prod-b: 2026.9.5 cannot read the state 2026.9.6 migrated (incompatible: schema 7 is newer than 6): restore backup u42');
    expect(plan.warnings).toContain('prod-b: 2026.9.5 cannot read the state 2026.9.6 migrated (incompatible: schema 7 is newer than 6): restore backup u42');
    expect(plan.expectedDowntime).toMatch(/^prod-a: .*; prod-b: stopped from `pm2 stop`/);
    expect(plan.backupId).toBe('u42');
  });

  it('an unknown verdict restores too, and without a backup the rollback is refused with the reason (never a blind switch)', () => {
    const unknown = { stateCompatibility: { verdict: 'unknown' as const, detail: 'database preflight: indeterminate' } };
    const { config, facts } = stagedFleet({ 'prod-a': unknown, 'prod-b': compatible });
    expect(stepIds(buildRollbackPlan(rollback(), config, facts, UPGRADE))).toContain('prod-a:restore-extract');
    const error = thrown(() => buildRollbackPlan(rollback(), config, facts, { ...UPGRADE, backedUp: ['prod-b'] }));
    expect(isClawopsError(error, 'PLAN_INVALID')).toBe(true);
    expect((error as Error).message).toContain("prod-a: 2026.9.5's own schema check of the state 2026.9.6 left did not complete (unknown: database preflight: indeterminate)");
    expect((error as Error).message).toContain('--from-backup');
  });

  it('blue-green switches back whatever the verdict: the old color never ran the new version on its state', () => {
    const config = fleet({ production: { hosts: [host('gw', { kind: 'blue-green', publicUrl: 'https://oc.example.com' })] } });
    const facts = planFacts(config, { current: '2026.9.6', target: '2026.9.5', hostExtra: { installedVersions: ['2026.9.5', '2026.9.6'], liveColor: 'green', ...incompatible } });
    const plan = buildRollbackPlan(rollback(), config, facts, { ...UPGRADE, changedHosts: { gw: 'production' }, fromVersions: { gw: '2026.9.5' } });
    expect(stepIds(plan)).not.toContain('gw:restore-extract');
    expect(plan.gates[0]?.title).toContain('gw: blue-green: traffic goes back to the old color, which never ran 2026.9.6 on its state');
    const forced = buildRollbackPlan(rollback({ fromBackup: 'u42' }), config, facts, UPGRADE);
    expect(stepIds(forced)).toContain('gw:restore-extract');
  });
});
