import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { environmentOf } from '../../../src/bot/environment.js';
import { asksForDecision, gateOfKey, idleReactionAnswer, mirrorChannel, privateAnswer, reactionDecision, shownPlanHash } from '../../../src/bot/reactions.js';
import { parseCommand } from '../../../src/commands/index.js';
import type { Command } from '../../../src/commands/types.js';
import { rebuildThread } from '../../../src/chat/render/thread-state.js';
import { UPGRADE, samplePlan } from '../../chat/render-fixtures.js';
import { KEY_A, VALID_YAML } from '../config/fixtures.js';

const config = (extra = '') => parseConfig(`${VALID_YAML}${extra}`, { env: {}, home: '/root' });

function command(text: string): Command {
  const parsed = parseCommand(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.command;
}

describe('reactionDecision', () => {
  const reactions = config().approvals.reactions;

  it('maps the configured approve and reject emoji, by Slack name or unicode', () => {
    expect(reactionDecision('white_check_mark', reactions)).toBe('approve');
    expect(reactionDecision('✅', reactions)).toBe('approve');
    expect(reactionDecision('x', reactions)).toBe('reject');
    expect(reactionDecision('❌', reactions)).toBe('reject');
  });

  it('ignores every other emoji, including postpone (a schedule matter, not a gate decision)', () => {
    expect(reactionDecision('eyes', reactions)).toBeUndefined();
    expect(reactionDecision('octagonal_sign', reactions)).toBeUndefined();
    expect(reactionDecision('', reactions)).toBeUndefined();
  });

  it('follows a team that configured its own emoji', () => {
    const custom = config('\napprovals:\n  reactions:\n    approve: [shipit]\n    reject: [no_entry]\n').approvals.reactions;
    expect(reactionDecision('shipit', custom)).toBe('approve');
    expect(reactionDecision('white_check_mark', custom)).toBeUndefined();
    expect(reactionDecision('no_entry', custom)).toBe('reject');
  });
});

describe('reactions that do nothing', () => {
  const reactions = config().approvals.reactions;

  it('only the plan, an approval request or a linked message take a decision', () => {
    expect([undefined, 'plan', 'gate:prod-1:switch-traffic'].map(asksForDecision)).toEqual([true, true, true]);
    expect(['checklist', 'health', 'note:0', 'report'].map(asksForDecision)).toEqual([false, false, false, false]);
  });

  it('names what would work, by unicode or Slack name', () => {
    expect(idleReactionAnswer('👍', true, reactions)).toBe('👍 does nothing here: react ✅ to approve or ❌ to reject.');
    expect(idleReactionAnswer('+1', true, reactions)).toBe(':+1: does nothing here: react ✅ to approve or ❌ to reject.');
    expect(idleReactionAnswer('✅', false, reactions)).toBe('✅ does nothing here: approvals are given on an upgrade\'s plan or approval request (✅ approves, ❌ rejects).');
  });
});

describe('shownPlanHash', () => {
  const plan = samplePlan({ hash: 'plan-hash-1' });
  const state = rebuildThread(UPGRADE, [
    { type: 'plan', upgradeId: UPGRADE, plan, requester: { platform: 'slack', userId: 'U1' }, dryRun: false },
    { type: 'gate-waiting', upgradeId: UPGRADE, gateId: 'switch', title: 'Switch', deadline: '2026-05-01T11:00:00.000Z', planHash: 'plan-hash-1', needed: 1 },
  ]);

  it('binds the root and the approval request to the plan they show', () => {
    expect(shownPlanHash(state, 'plan')).toBe('plan-hash-1');
    expect(shownPlanHash(state, 'gate:switch')).toBe('plan-hash-1');
  });

  it('binds other messages to no plan', () => {
    expect(shownPlanHash(state, 'checklist')).toBeUndefined();
    expect(shownPlanHash(state, 'note:0')).toBeUndefined();
    expect(shownPlanHash(state, 'report')).toBeUndefined();
  });

  it('follows a replaced plan (a scheduled upgrade re-planned under the same id)', () => {
    const replanned = rebuildThread(UPGRADE, [
      { type: 'plan', upgradeId: UPGRADE, plan, requester: { platform: 'slack', userId: 'U1' }, dryRun: true },
      { type: 'plan', upgradeId: UPGRADE, plan: samplePlan({ hash: 'plan-hash-2' }), requester: { platform: 'schedule', userId: 'clawops' }, dryRun: false },
    ]);
    expect(shownPlanHash(replanned, 'plan')).toBe('plan-hash-2');
    expect(shownPlanHash(replanned, 'gate:switch')).toBe('plan-hash-2');
  });

  it('knows no plan before the plan event', () => {
    expect(shownPlanHash(rebuildThread(UPGRADE, []), 'plan')).toBeUndefined();
  });
});

describe('mirrorChannel', () => {
  it('prefers the approvals channel, then the announce channel; none without the platform', () => {
    const both = config('\nchat:\n  slack: { botToken: x, appToken: y, approvalsChannel: C1, announceChannel: C2 }\n  discord: { token: t, applicationId: a, announceChannel: "42" }\n');
    expect(mirrorChannel(both, 'slack')).toBe('C1');
    expect(mirrorChannel(both, 'discord')).toBe('42');
    expect(mirrorChannel(both, 'terminal')).toBeUndefined();
    expect(mirrorChannel(config(), 'slack')).toBeUndefined();
  });
});

describe('environmentOf', () => {
  it('is the named environment', () => {
    expect(environmentOf(command('upgrade 2026.9.6 staging'), config())).toBe('staging');
    expect(environmentOf(command('version staging'), config())).toBe('staging');
  });

  it('defaults to production for commands that act on an environment', () => {
    for (const text of ['upgrade 2026.9.6', 'rollback', 'version', 'check', 'doctor', 'backup list', 'history']) {
      expect(environmentOf(command(text), config()), text).toBe('production');
    }
  });

  it('is none for fleet-wide commands', () => {
    for (const text of ['status', 'help', 'changelog 2026.9.5 2026.9.6', 'schedule list', 'cancel up-1']) {
      expect(environmentOf(command(text), config()), text).toBeUndefined();
    }
  });

  it('is none when no default can be told (two non-staging environments, no production)', () => {
    const two = parseConfig(VALID_YAML.replace('production:', 'eu:') + `  us:\n    hosts:\n      - { name: us-1, address: 10.0.3.10, hostKey: ${KEY_A}, strategy: { kind: pm2 } }\n`, { env: {}, home: '/root' });
    expect(environmentOf(command('upgrade 2026.9.6'), two)).toBeUndefined();
    expect(environmentOf(command('upgrade 2026.9.6 us'), two)).toBe('us');
  });
});

describe('privateAnswer', () => {
  it('tells a late decision which gate it missed and why, briefly', () => {
    expect(privateAnswer('approve', 'up-1', { counted: false, late: true, gateId: 'skip-staging', gateTitle: 'Skip staging', reason: 'gate already passed' }))
      .toBe('Too late: your approval of "Skip staging" (up-1) did not count, gate already passed.');
    expect(privateAnswer('reject', 'up-1', { counted: false, late: true, reason: 'upgrade already finished' }))
      .toBe('Too late: your rejection of up-1 did not count, upgrade already finished.');
  });

  it('answers a decision while no gate is open; leaves the rest to the thread note', () => {
    expect(privateAnswer('approve', 'up-1', { counted: false, reason: 'no gate is waiting for approval on this upgrade' }))
      .toBe('Not counted: your approval of up-1: no gate is waiting for approval on this upgrade.');
    expect(privateAnswer('approve', 'up-1', { counted: false, gateId: 'g', reason: 'not an approver for this gate' })).toBeUndefined();
    expect(privateAnswer('approve', 'up-1', { counted: true, gateId: 'g' })).toBeUndefined();
  });

  it('reads the gate a thread message asks about from its key', () => {
    expect(gateOfKey('gate:switch-traffic')).toBe('switch-traffic');
    expect(gateOfKey('plan')).toBeUndefined();
    expect(gateOfKey(undefined)).toBeUndefined();
  });
});
