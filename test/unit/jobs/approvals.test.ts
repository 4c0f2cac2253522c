import { expect, test } from 'vitest';
import fc from 'fast-check';
import { isApprover, judgeApproval, tallyGate, type StoredApproval, type WaitingGate } from '../../../src/jobs/approvals.js';
import { testConfig } from '../../jobs/fixtures.js';

const approvals = testConfig({ approvals: { minApprovers: 2 } }).approvals;
const gate: WaitingGate = {
  gateId: 'switch', title: 'Switch', planHash: 'h1', deadline: 10_000, environment: 'production',
  requester: { platform: 'slack', userId: 'U-ALICE' },
};

test('approvers come from the platform lists: users, Slack user groups, Discord roles', () => {
  expect(isApprover(approvals, { platform: 'slack', userId: 'U-BOB' })).toBe(true);
  expect(isApprover(approvals, { platform: 'slack', userId: 'U-X', groups: ['S-OPS'] })).toBe(true);
  expect(isApprover(approvals, { platform: 'discord', userId: 'U-BOB' })).toBe(false);
  expect(isApprover(approvals, { platform: 'discord', userId: 'D-1', groups: ['R-OPS'] })).toBe(true);
  expect(isApprover(approvals, { platform: 'terminal', userId: 'U-BOB' })).toBe(false);
});

test('an approval counts only from an approver, not the requester, for the plan shown, before the deadline', () => {
  const bob = { platform: 'slack', userId: 'U-BOB', decision: 'approve' } as const;
  expect(judgeApproval(approvals, gate, bob, 5_000)).toEqual({ counted: true });
  expect(judgeApproval(approvals, gate, { ...bob, planHash: 'h1' }, 5_000)).toEqual({ counted: true });
  expect(judgeApproval(approvals, gate, { ...bob, planHash: 'h0' }, 5_000).counted).toBe(false);
  expect(judgeApproval(approvals, gate, bob, 10_001).reason).toMatch(/expired/);
  expect(judgeApproval(approvals, gate, { ...bob, userId: 'U-ALICE' }, 5_000).reason).toMatch(/someone else/);
  expect(judgeApproval({ ...approvals, allowSelfApproval: true }, gate, { ...bob, userId: 'U-ALICE' }, 5_000).counted).toBe(true);
  expect(judgeApproval(approvals, gate, { ...bob, userId: 'U-ALICE', decision: 'reject' }, 5_000).counted).toBe(true);
});

test('a gate passes with minApprovers distinct people under the current plan hash; a rejection wins', () => {
  const entry = (userId: string, extra: Partial<StoredApproval> = {}): StoredApproval => ({
    platform: 'slack', userId, at: '2026-01-01T00:00:00Z', planHash: 'h1', decision: 'approve', gateId: 'switch', counted: true, ...extra,
  });
  expect(tallyGate(approvals, [entry('U-BOB'), entry('U-BOB')], 'switch', 'h1')).toMatchObject({ have: 1, need: 2, passed: false });
  expect(tallyGate(approvals, [entry('U-BOB'), entry('U-CAROL', { planHash: 'h0' })], 'switch', 'h1').passed).toBe(false);
  expect(tallyGate(approvals, [entry('U-BOB'), entry('U-CAROL', { gateId: 'other' })], 'switch', 'h1').passed).toBe(false);
  expect(tallyGate(approvals, [entry('U-BOB'), entry('U-CAROL', { counted: false })], 'switch', 'h1').passed).toBe(false);
  expect(tallyGate(approvals, [entry('U-BOB'), entry('U-CAROL')], 'switch', 'h1').passed).toBe(true);
  const rejected = tallyGate(approvals, [entry('U-BOB'), entry('U-CAROL'), entry('U-DAN', { decision: 'reject' })], 'switch', 'h1');
  expect(rejected.passed).toBe(false);
  expect(rejected.rejectedBy?.userId).toBe('U-DAN');
});

test('whatever the order and repeats, the count is the number of distinct approving people', () => {
  fc.assert(fc.property(fc.array(fc.constantFrom('U-A', 'U-B', 'U-C', 'U-D'), { maxLength: 12 }), (people) => {
    const list = people.map((userId): StoredApproval => ({ platform: 'slack', userId, at: 'x', planHash: 'h1', decision: 'approve', gateId: 'g', counted: true }));
    const tally = tallyGate(approvals, list, 'g', 'h1');
    expect(tally.have).toBe(new Set(people).size);
    expect(tally.passed).toBe(new Set(people).size >= 2);
  }));
});
