import { describe, expect, it } from 'vitest';
import { lastUpgradeTouching, upgradeTouch } from '../../../src/audit/last-upgrade.js';
import type { AuditStep, HistoryEntry, UpgradeRecord } from '../../../src/audit/store.js';
import { pm2Fleet } from '../runbook/fixtures.js';

const config = pm2Fleet();

function step(stepId: string, kind: string, status: AuditStep['status'], excerpt?: string): AuditStep {
  const host = stepId.includes(':') ? stepId.slice(0, stepId.indexOf(':')) : undefined;
  return { stepId, title: stepId, kind, status, runs: 1, ...(host ? { host } : {}), ...(excerpt ? { excerpt } : {}) };
}

function upgrade(upgradeId: string, steps: AuditStep[], extra: Partial<UpgradeRecord> = {}): UpgradeRecord {
  return {
    type: 'upgrade', upgradeId, kind: 'upgrade', environment: 'production', requester: { platform: 'terminal', userId: 'alice' },
    requestedAt: '2026-12-04T10:00:00.000Z', toVersion: '1.3.1-neverready', fromVersions: { 'prod-a': '1.2.0', 'prod-b': '1.2.0' },
    strategy: 'pm2', planHash: 'h', steps, gates: [], approvals: [], outcome: 'failed', ...extra,
  };
}

/** `upgrade 1.3.1-neverready production` that failed on staging: stage-a was switched, production never moved. */
const failedOnStaging = upgrade('up-1', [
  step('stage-a:probe', 'probe', 'succeeded', 'OpenClaw 1.2.0 (double)'),
  step('prod-a:probe', 'probe', 'succeeded', 'OpenClaw 1.2.0 (double)'),
  step('stage-a:backup', 'backup', 'succeeded'),
  step('stage-a:switch', 'switch', 'succeeded'),
  step('stage-a:ready', 'wait', 'failed'),
  step('prod-a:backup', 'backup', 'pending'),
  step('prod-a:switch', 'switch', 'pending'),
]);

describe('the audit read for a rollback', () => {
  it('records which hosts the upgrade changed and backed up, with their environment and what the staging host ran before', () => {
    expect(upgradeTouch(failedOnStaging, config)).toEqual({
      upgradeId: 'up-1', environment: 'production', toVersion: '1.3.1-neverready',
      fromVersions: { 'stage-a': '1.2.0', 'prod-a': '1.2.0', 'prod-b': '1.2.0' },
      changedHosts: { 'stage-a': 'staging' }, backedUp: ['stage-a'], backupId: 'up-1',
    });
  });

  it('finds the upgrade of production for `rollback staging`, and not for `rollback production`, which it never changed', async () => {
    const older = upgrade('up-0', [step('prod-a:switch', 'switch', 'succeeded'), step('prod-a:backup', 'backup', 'succeeded')], { outcome: 'succeeded', toVersion: '1.2.0', fromVersions: { 'prod-a': '1.1.0' } });
    const history = async (): Promise<HistoryEntry[]> => [
      { type: 'refusal', id: 'r', at: '2026-12-04T11:00:00.000Z', requester: { platform: 'terminal', userId: 'x' }, command: 'rollback', code: 'PLAN_INVALID', message: 'no' },
      failedOnStaging, older,
    ];
    const last = lastUpgradeTouching(history, config);
    expect((await last('staging'))?.upgradeId).toBe('up-1');
    expect((await last('production'))?.upgradeId).toBe('up-0');
  });

  it('skips upgrades still running and rollbacks', async () => {
    const running = upgrade('up-2', [step('stage-a:switch', 'switch', 'succeeded')]);
    delete running.outcome;
    const rolledBack = upgrade('rb-1', [step('stage-a:switch', 'switch', 'succeeded')], { kind: 'rollback' });
    expect(await lastUpgradeTouching(async () => [running, rolledBack], config)('staging')).toBeNull();
  });
});
