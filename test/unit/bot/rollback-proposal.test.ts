import { describe, expect, it } from 'vitest';
import type { AuditStep, UpgradeRecord } from '../../../src/audit/store.js';
import { proposalNote, proposedScope } from '../../../src/bot/rollback-proposal.js';
import { pm2Fleet } from '../runbook/fixtures.js';

const config = pm2Fleet({ productionHosts: 1 });

function step(stepId: string, kind: string, status: AuditStep['status']): AuditStep {
  const host = stepId.includes(':') ? stepId.slice(0, stepId.indexOf(':')) : undefined;
  return { stepId, title: stepId, kind, status, runs: 1, ...(host ? { host } : {}) };
}

function run(steps: AuditStep[], outcome: UpgradeRecord['outcome']): UpgradeRecord {
  return {
    type: 'upgrade', upgradeId: 'up-1', kind: 'upgrade', environment: 'production', requester: { platform: 'terminal', userId: 'alice' },
    requestedAt: '2026-12-04T10:00:00.000Z', toVersion: '1.3.0', fromVersions: { 'prod-a': '1.2.0' }, strategy: 'pm2', planHash: 'h',
    steps, gates: [], approvals: [], ...(outcome ? { outcome } : {}),
  };
}

const stagingPassed = [
  step('stage-a:probe', 'probe', 'succeeded'), step('prod-a:probe', 'probe', 'succeeded'),
  step('stage-a:backup', 'backup', 'succeeded'), step('stage-a:switch', 'switch', 'succeeded'), step('stage-a:reload', 'switch', 'succeeded'),
  step('stage-a:health-ready', 'wait', 'succeeded'),
];

describe('the rollback a stopped upgrade proposes', () => {
  it('covers staging when the upgrade failed on staging (production never moved)', () => {
    const failed = run([...stagingPassed.slice(0, 5), step('stage-a:health-ready', 'wait', 'failed'), step('prod-a:switch', 'switch', 'pending')], 'failed');
    expect(proposedScope(failed, config)).toEqual({ environment: 'staging', hosts: ['stage-a'], keptStaging: [] });
  });

  it('proposes nothing when production\'s gate is rejected after staging passed: production never moved', () => {
    const rejected = run([...stagingPassed, step('prod-a:backup', 'backup', 'succeeded'), step('prod-a:switch', 'switch', 'pending')], 'cancelled');
    expect(proposedScope(rejected, config)).toBeNull();
  });

  it('covers production when it failed after moving; staging passed and is kept unless asked', () => {
    const failed = run([...stagingPassed, step('prod-a:switch', 'switch', 'succeeded'), step('prod-a:ready', 'wait', 'failed')], 'failed');
    const scope = proposedScope(failed, config);
    expect(scope).toEqual({ environment: 'production', hosts: ['prod-a'], keptStaging: ['stage-a'] });
    expect(proposalNote(scope!, { ok: true, upgradeId: 'up-2' })).toBe('↩️ Rollback planned as up-2 for prod-a (production): it waits for approval in its own thread. '
      + 'Staging (stage-a) passed and keeps the new version; to roll it back too: /openclaw rollback production --with-staging');
  });
});
