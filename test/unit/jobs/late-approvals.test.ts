/** Which decisions come too late: after their gate closed, or after the upgrade finished. */
import { expect, test } from 'vitest';
import { lateDecision, type SeenGate } from '../../../src/jobs/approvals.js';

const passed: SeenGate = { gateId: 'skip-staging', status: 'passed', at: '2026-05-01T10:01:00.000Z' };
const open: SeenGate = { gateId: 'switch', status: 'waiting', at: '2026-05-01T10:02:00.000Z' };
const waiting = { gateId: 'switch', deadline: 10_000 };

test('a reaction on the open gate before its deadline is on time', () => {
  expect(lateDecision({ waiting, gates: [passed, open], finished: false, gateId: 'switch', now: 5_000 })).toBeUndefined();
  // The plan message asks about whichever gate is open.
  expect(lateDecision({ waiting, gates: [passed, open], finished: false, now: 5_000 })).toBeUndefined();
});

test('a reaction on an earlier gate\'s request does not count for the gate open now', () => {
  expect(lateDecision({ waiting, gates: [passed, open], finished: false, gateId: 'skip-staging', now: 5_000 }))
    .toEqual({ gateId: 'skip-staging', reason: 'gate already passed' });
});

test('past the deadline of a gate the worker has not closed yet, the gate has expired', () => {
  expect(lateDecision({ waiting, gates: [passed, open], finished: false, gateId: 'switch', now: 10_001 }))
    .toEqual({ gateId: 'switch', reason: 'gate already expired' });
});

test('between gates, and after the end, the reason names the gate reacted on or the last one closed', () => {
  expect(lateDecision({ waiting: null, gates: [passed], finished: false, now: 5_000 })).toEqual({ gateId: 'skip-staging', reason: 'gate already passed' });
  const expired: SeenGate = { ...open, status: 'expired', at: '2026-05-01T10:32:00.000Z' };
  expect(lateDecision({ waiting: null, gates: [passed, expired], finished: true, now: 5_000 })).toEqual({ gateId: 'switch', reason: 'gate already expired' });
  expect(lateDecision({ waiting: null, gates: [passed, expired], finished: true, gateId: 'skip-staging', now: 5_000 })).toEqual({ gateId: 'skip-staging', reason: 'gate already passed' });
  const rejected: SeenGate = { ...open, status: 'rejected' };
  expect(lateDecision({ waiting: null, gates: [passed, rejected], finished: true, gateId: 'switch', now: 5_000 })).toEqual({ gateId: 'switch', reason: 'gate already rejected' });
  // Cancelled while a gate waited: the gate never closed, the upgrade did.
  expect(lateDecision({ waiting: null, gates: [passed, open], finished: true, gateId: 'switch', now: 5_000 })).toEqual({ gateId: 'switch', reason: 'upgrade already finished' });
  expect(lateDecision({ waiting: null, gates: [], finished: true, now: 5_000 })).toEqual({ reason: 'upgrade already finished' });
});

test('before any gate opened a decision is early, not late', () => {
  expect(lateDecision({ waiting: null, gates: [], finished: false, now: 5_000 })).toBeUndefined();
});
