/**
 * The final report names who decided each gate: the gate that stopped the upgrade alone (its
 * rejecter, or nobody in time), otherwise every passed gate with its own approvers. Found by a
 * fault-injection run: an expired blue-green traffic gate was reported as approved by the people
 * who had approved the earlier skip-staging gate.
 */
import { describe, expect, it } from 'vitest';
import { rebuildThread, renderReport } from '../../src/chat/render/index.js';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import { UPGRADE, approval, samplePlan } from './render-fixtures.js';

const u = UPGRADE;
const plan = samplePlan({
  gates: [
    { id: 'skip-staging', title: 'Skip staging', reason: 'skip-staging', beforeStep: 'host-a:backup' },
    { id: 'switch', title: 'Switch production traffic', reason: 'switch-traffic', beforeStep: 'host-a:switch' },
  ],
});
const bob = approval('U2', 'slack', 'approve', 'bob');
const carol = approval('1234', 'discord', 'approve', 'carol');
const firstGatePassed: UpgradeEvent[] = [
  { type: 'plan', upgradeId: u, plan, requester: { platform: 'slack', userId: 'U1', displayName: 'alice' }, dryRun: false },
  { type: 'gate-waiting', upgradeId: u, gateId: 'skip-staging', title: 'Skip staging', deadline: '2026-05-01T11:00:00.000Z', planHash: plan.hash, needed: 1 },
  { type: 'gate-approval', upgradeId: u, gateId: 'skip-staging', approval: bob, counted: true },
  { type: 'gate-passed', upgradeId: u, gateId: 'skip-staging', approvers: [bob] },
  { type: 'gate-waiting', upgradeId: u, gateId: 'switch', title: 'Switch production traffic', deadline: '2026-05-01T11:30:00.000Z', planHash: plan.hash, needed: 1 },
];
const approvalsField = (events: UpgradeEvent[]) => renderReport(rebuildThread(u, events)).fields?.find((field) => field.label === 'Approvals')?.value;

describe('report approvals per gate', () => {
  it('an expired second gate: nobody approved it in time, and the first gate\'s approvers are not named', () => {
    const events: UpgradeEvent[] = [...firstGatePassed,
      { type: 'gate-expired', upgradeId: u, gateId: 'switch' },
      { type: 'finished', upgradeId: u, outcome: 'expired', summary: 'nobody approved "Switch production traffic" in time; traffic was left where it was in production' },
    ];
    const report = renderReport(rebuildThread(u, events));
    expect(approvalsField(events)).toBe('nobody approved "Switch production traffic" in time');
    expect(JSON.stringify(report)).not.toContain('@bob');
    expect(report.fields?.some((field) => field.label === 'Approved by')).toBe(false);
  });

  it('a rejected gate names its rejecter only', () => {
    const dave = approval('U4', 'slack', 'reject', 'dave');
    const events: UpgradeEvent[] = [...firstGatePassed,
      { type: 'gate-approval', upgradeId: u, gateId: 'switch', approval: dave, counted: true },
      { type: 'gate-rejected', upgradeId: u, gateId: 'switch', by: dave },
      { type: 'finished', upgradeId: u, outcome: 'cancelled', summary: 'rejected by dave at "Switch production traffic"' },
    ];
    expect(approvalsField(events)).toBe('"Switch production traffic" rejected by @dave (Slack)');
  });

  it('several passed gates: each with its own approvers', () => {
    const events: UpgradeEvent[] = [...firstGatePassed,
      { type: 'gate-approval', upgradeId: u, gateId: 'switch', approval: carol, counted: true },
      { type: 'gate-passed', upgradeId: u, gateId: 'switch', approvers: [carol] },
      { type: 'finished', upgradeId: u, outcome: 'succeeded', summary: 'production runs 2026.9.6' },
    ];
    expect(approvalsField(events)).toBe('"Skip staging" approved by @bob (Slack)\n"Switch production traffic" approved by @carol (Discord)');
  });

  it('a report of an upgrade that never reached a gate names no approvals', () => {
    expect(approvalsField([firstGatePassed[0]!, { type: 'finished', upgradeId: u, outcome: 'failed', summary: 'failed at backup' }])).toBeUndefined();
  });
});
