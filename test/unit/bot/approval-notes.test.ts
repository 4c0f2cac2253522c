/** What the thread says about reactions: once per person and decision, approvals counted per person. */
import { describe, expect, it } from 'vitest';
import { threadMessages } from '../../../src/chat/render/thread-messages.js';
import { rebuildThread } from '../../../src/chat/render/thread-state.js';
import type { UpgradeEvent } from '../../../src/jobs/events.js';
import { UPGRADE, approval, samplePlan } from '../../chat/render-fixtures.js';

const opened: UpgradeEvent[] = [
  { type: 'plan', upgradeId: UPGRADE, plan: samplePlan(), requester: { platform: 'slack', userId: 'U1', displayName: 'alice' }, dryRun: false },
  { type: 'gate-waiting', upgradeId: UPGRADE, gateId: 'switch', title: 'Switch production traffic', deadline: '2026-05-01T11:00:00.000Z', planHash: 'abcdef0123456789abcdef', needed: 2 },
];
const decided = (userId: string, counted: boolean, note?: string, decision: 'approve' | 'reject' = 'approve'): UpgradeEvent => ({
  type: 'gate-approval', upgradeId: UPGRADE, gateId: 'switch', approval: approval(userId, 'slack', decision, userId.toLowerCase()), counted, ...(note === undefined ? {} : { note }),
});
const noteTexts = (events: UpgradeEvent[]) => threadMessages(rebuildThread(UPGRADE, events)).filter((m) => m.key.startsWith('note:')).map((m) => m.message.text);

describe('approval notes in the thread', () => {
  it('says a refused reaction once, however often the person reacts', () => {
    const notAnApprover = 'not an approver for this gate';
    expect(noteTexts([...opened, decided('CAROL', false, notAnApprover), decided('CAROL', false, notAnApprover), decided('CAROL', false, notAnApprover)]))
      .toEqual(['➖ approved by @carol on Slack, not counted: not an approver for this gate']);
  });

  it('still says it for each person, and again when the reason or the decision differs', () => {
    const texts = noteTexts([...opened,
      decided('CAROL', false, 'not an approver for this gate'), decided('DAVE', false, 'not an approver for this gate'),
      decided('CAROL', false, 'the gate has expired'), decided('CAROL', false, 'not an approver for this gate', 'reject')]);
    expect(texts).toHaveLength(4);
  });

  it('counts the same approver once on the gate, and says their approval once', () => {
    const state = rebuildThread(UPGRADE, [...opened, decided('BOB', true), decided('BOB', true)]);
    expect(state.gates[0]?.approvers.map((a) => a.userId)).toEqual(['BOB']);
    const gate = threadMessages(state).find((m) => m.key === 'gate:switch')?.message;
    expect(gate?.fields).toContainEqual({ label: 'Approvals', value: '1 of 2' });
    expect(noteTexts([...opened, decided('BOB', true), decided('BOB', true)])).toEqual(['✅ approved by @bob on Slack']);
  });

  it('keeps the note keys stable, so a restarted gateway edits the same messages', () => {
    const events = [...opened, decided('CAROL', false, 'x'), decided('CAROL', false, 'x'), decided('BOB', true)];
    const keys = threadMessages(rebuildThread(UPGRADE, events)).map((m) => m.key);
    expect(keys).toEqual(['plan', 'checklist', 'gate:switch', 'note:0', 'note:2']);
  });
});
