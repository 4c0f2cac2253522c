import { describe, expect, it } from 'vitest';
import { healthLabel, healthMark, historyLine, versionLine } from '../../../src/bot/queries.js';
import type { RefusalRecord, UpgradeRecord } from '../../../src/audit/store.js';

describe('versionLine', () => {
  it('names the running version and the others installed side by side', () => {
    expect(versionLine('prod-1', { currentVersion: '1.3.0', installedVersions: ['1.2.0', '1.3.0'] })).toBe('prod-1: 1.3.0 (installed side by side: 1.2.0)');
    expect(versionLine('prod-1', { currentVersion: '1.3.0', installedVersions: ['1.3.0'] })).toBe('prod-1: 1.3.0');
  });

  it('says when nothing runs, or why the host could not tell', () => {
    expect(versionLine('new-1', { currentVersion: null, installedVersions: [] })).toBe('new-1: not installed');
    expect(versionLine('gone-1', undefined, 'connection refused')).toBe('gone-1: ⚠️ connection refused');
  });
});

describe('historyLine', () => {
  const upgrade: UpgradeRecord = {
    type: 'upgrade', upgradeId: 'up-1', kind: 'upgrade', environment: 'production',
    requester: { platform: 'slack', userId: 'U1', displayName: 'alice' }, requestedAt: '2026-05-01T10:00:00.000Z',
    toVersion: '1.3.0', fromVersions: { a: '1.2.0', b: '1.2.0' }, strategy: 'blue-green', planHash: 'h', steps: [], gates: [], approvals: [],
  };

  it('shows an upgrade with its distinct from-versions, who asked and how it ended', () => {
    expect(historyLine({ ...upgrade, outcome: 'succeeded' })).toBe('2026-05-01T10:00:00.000Z up-1: upgrade production 1.2.0 → 1.3.0 (blue-green) by alice: succeeded');
    expect(historyLine({ ...upgrade, fromVersions: { a: '1.1.0', b: '1.2.0' }, requester: { platform: 'discord', userId: '42' } }))
      .toBe('2026-05-01T10:00:00.000Z up-1: upgrade production 1.1.0/1.2.0 → 1.3.0 (blue-green) by 42: running');
  });

  it('shows a refused command with the reason', () => {
    const refusal: RefusalRecord = { type: 'refusal', id: 'r1', at: '2026-05-01T09:00:00.000Z', requester: { platform: 'slack', userId: 'U9' }, command: 'upgrade 1.3.0', code: 'NOT_AUTHORIZED', message: 'you may not run upgrade in production' };
    expect(historyLine(refusal)).toBe('2026-05-01T09:00:00.000Z refused: "upgrade 1.3.0" from U9: you may not run upgrade in production');
  });
});

describe('historyLine: who decided the gates, and what came too late', () => {
  const base: UpgradeRecord = {
    type: 'upgrade', upgradeId: 'up-2', kind: 'upgrade', environment: 'production',
    requester: { platform: 'slack', userId: 'U1', displayName: 'carol' }, requestedAt: '2026-05-01T10:00:00.000Z',
    toVersion: '1.3.0', fromVersions: { a: '1.2.0' }, strategy: 'blue-green', planHash: 'h', steps: [], approvals: [], outcome: 'expired',
    gates: [
      { gateId: 'skip-staging', title: 'Skip staging', status: 'passed', at: '2026-05-01T10:01:00.000Z', approvers: [{ platform: 'slack', userId: 'U2', displayName: 'bob', at: 'x', planHash: 'h', decision: 'approve' }] },
      { gateId: 'switch', title: 'Switch traffic', status: 'expired', at: '2026-05-01T10:31:00.000Z' },
    ],
  };

  it('names the gate that stopped the upgrade, not the approvers of an earlier gate, and lists late decisions', () => {
    const late = { platform: 'slack' as const, userId: 'U2', displayName: 'bob', at: '2026-05-01T10:40:00.000Z', planHash: 'h', decision: 'approve' as const, gateId: 'switch', counted: false, late: true, note: 'gate already expired' };
    const line = historyLine({ ...base, approvals: [late] });
    expect(line).toBe('2026-05-01T10:00:00.000Z up-2: upgrade production 1.2.0 → 1.3.0 (blue-green) by carol: expired; nobody approved "Switch traffic" in time; late approve by bob (slack) at 2026-05-01T10:40:00.000Z: gate already expired');
  });

  it('names each passed gate with its own approvers', () => {
    const gates = base.gates.map((gate) => (gate.gateId === 'switch' ? { ...gate, status: 'passed' as const, approvers: [] } : gate));
    expect(historyLine({ ...base, outcome: 'succeeded', gates })).toContain('succeeded; "Skip staging" approved by bob; "Switch traffic" approved');
  });
});

describe('healthLabel / healthMark', () => {
  it('shows 🟢 only for a host that is live and ready, in check as in status', () => {
    expect(healthLabel({ live: true, ready: true })).toBe('🟢 live, ready');
    expect(healthLabel({ live: true, ready: false })).toBe('🔴 live, not ready');
    expect(healthLabel({ live: false, ready: false })).toBe('🔴 not live, not ready');
    for (const live of [true, false]) {
      for (const ready of [true, false]) expect(healthLabel({ live, ready }).startsWith(healthMark({ live, ready }))).toBe(true);
    }
  });
});
