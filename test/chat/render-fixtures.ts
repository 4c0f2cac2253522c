import type { Approval, UpgradeEvent } from '../../src/jobs/events.js';
import type { Plan } from '../../src/runbook/types.js';

export const UPGRADE = 'up-42';

export function samplePlan(overrides: Partial<Plan> = {}): Plan {
  const step = (id: string, title: string, host: string, kind: Plan['steps'][number]['kind']): Plan['steps'][number] => ({
    id, title, host, kind, environment: 'production', action: { type: 'command', argv: ['true'] }, timeoutMs: 60_000, safeToRepeat: true,
  });
  return {
    kind: 'upgrade',
    environment: 'production',
    fromVersions: { 'host-a': '2026.9.5', 'host-b': '2026.9.5' },
    toVersion: '2026.9.6',
    updateType: 'patch',
    strategy: 'blue-green',
    expectedDowntime: 'none (traffic switch)',
    warnings: ['green starts on a copy of blue state'],
    changelog: { breaking: ['Node runtime: needs Node 24.16'], migrations: ['sessions table'], runtime: [], newConfig: [] },
    steps: [
      step('host-a:backup', 'backup', 'host-a', 'backup'),
      step('host-a:install', 'install 2026.9.6', 'host-a', 'install'),
      step('host-a:switch', 'switch traffic to green', 'host-a', 'switch'),
      step('host-b:install', 'install 2026.9.6', 'host-b', 'install'),
    ],
    gates: [{ id: 'switch', title: 'Switch production traffic', reason: 'switch-traffic', beforeStep: 'host-a:switch' }],
    hash: 'abcdef0123456789abcdef',
    ...overrides,
  };
}

export function approval(userId: string, platform: Approval['platform'], decision: Approval['decision'] = 'approve', displayName?: string): Approval {
  return { platform, userId, at: '2026-05-01T10:03:00.000Z', planHash: 'abcdef0123456789abcdef', decision, ...(displayName === undefined ? {} : { displayName }) };
}

/** A whole successful upgrade: plan, steps, a gate approved from two platforms, health, report. */
export function happyHistory(): UpgradeEvent[] {
  const u = UPGRADE;
  return [
    { type: 'plan', upgradeId: u, plan: samplePlan(), requester: { platform: 'slack', userId: 'U1', displayName: 'alice' }, dryRun: false },
    { type: 'step-started', upgradeId: u, stepId: 'host-a:backup', at: '2026-05-01T10:00:00.000Z' },
    { type: 'step-finished', upgradeId: u, stepId: 'host-a:backup', at: '2026-05-01T10:00:02.900Z', durationMs: 2900, exitCode: 0 },
    { type: 'step-started', upgradeId: u, stepId: 'host-a:install', at: '2026-05-01T10:00:03.000Z' },
    { type: 'step-finished', upgradeId: u, stepId: 'host-a:install', at: '2026-05-01T10:00:34.000Z', durationMs: 31_000 },
    { type: 'gate-waiting', upgradeId: u, gateId: 'switch', title: 'Switch production traffic', deadline: '2026-05-01T11:00:00.000Z', planHash: 'abcdef0123456789abcdef', needed: 2 },
    { type: 'gate-approval', upgradeId: u, gateId: 'switch', approval: approval('U2', 'slack', 'approve', 'bob'), counted: true },
    { type: 'gate-approval', upgradeId: u, gateId: 'switch', approval: approval('1234', 'discord', 'approve', 'carol'), counted: true },
    { type: 'gate-passed', upgradeId: u, gateId: 'switch', approvers: [approval('U2', 'slack', 'approve', 'bob'), approval('1234', 'discord', 'approve', 'carol')] },
    { type: 'step-started', upgradeId: u, stepId: 'host-a:switch', at: '2026-05-01T10:04:00.000Z' },
    { type: 'step-finished', upgradeId: u, stepId: 'host-a:switch', at: '2026-05-01T10:04:00.030Z', durationMs: 30 },
    { type: 'step-skipped', upgradeId: u, stepId: 'host-b:install', reason: 'already installed' },
    { type: 'health', upgradeId: u, results: [
      { host: 'host-a', live: true, ready: true, version: '2026.9.6', latencyMs: 42 },
      { host: 'host-b', live: true, ready: true, version: '2026.9.6', latencyMs: 38.6 },
    ] },
    { type: 'finished', upgradeId: u, outcome: 'succeeded', summary: 'production runs 2026.9.6' },
  ];
}
