import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  diffThread, formatDuration, formatTime, initialThreadState, rebuildThread, reduceThread, renderApprovalRequest, renderChecklist,
  renderHealth, renderNote, renderPlanSummary, renderReport, threadMessages,
} from '../../src/chat/render/index.js';
import type { ChatMessage } from '../../src/chat/types.js';
import { UPGRADE, approval, happyHistory, samplePlan } from './render-fixtures.js';
import type { Plan } from '../../src/runbook/types.js';

const all = (message: ChatMessage): string =>
  [message.title, message.text, ...(message.fields ?? []).map((f) => `${f.label}: ${f.value}`), ...(message.lines ?? []), ...(message.context ?? [])].join('\n');

describe('plan summary', () => {
  it('shows hosts from -> to, update type, strategy, downtime, warnings, breaking changes and backup', () => {
    const state = rebuildThread(UPGRADE, happyHistory().slice(0, 1));
    const text = all(renderPlanSummary(state));
    expect(text).toContain('host-a: 2026.9.5 → 2026.9.6');
    expect(text).toContain('host-b: 2026.9.5 → 2026.9.6');
    expect(text).toContain('Update type: patch');
    expect(text).toContain('Strategy: blue-green');
    expect(text).toContain('Expected downtime: none (traffic switch)');
    expect(text).toContain('⚠️ green starts on a copy of blue state');
    expect(text).toContain('💥 Breaking: Node runtime: needs Node 24.16');
    expect(text).toContain('Backup: taken before the switch');
    expect(text).toContain('@alice');
    expect(renderPlanSummary(state).tone).toBe('warning');
  });

  it('names the staging hosts that go first, and says plainly when nothing changes or it is a downgrade', () => {
    const base = samplePlan();
    const stagingStep = { ...(base.steps[0] as Plan['steps'][number]), id: 'stage-1:install', host: 'stage-1', environment: 'staging', phase: 'staging' as const };
    const plan = (overrides: Partial<Plan>) => reduceThread(initialThreadState(UPGRADE), { type: 'plan', upgradeId: UPGRADE, plan: samplePlan(overrides), requester: { platform: 'terminal', userId: 'root' }, dryRun: false });
    const withStaging = all(renderPlanSummary(plan({ steps: [stagingStep, ...base.steps] })));
    expect(withStaging).toContain('Staging first: stage-1');
    expect(all(renderPlanSummary(plan({})))).not.toContain('Staging first');
    expect(renderPlanSummary(plan({ updateType: 'none' })).text).toContain('to 2026.9.6, no version change, blue-green.');
    expect(renderPlanSummary(plan({ updateType: 'downgrade' })).text).toContain('a downgrade');
  });

  it('says dry run and names a given backup', () => {
    const state = reduceThread(initialThreadState(UPGRADE), {
      type: 'plan', upgradeId: UPGRADE, plan: samplePlan({ backupId: 'bk-7', warnings: [], changelog: { breaking: [], migrations: [], runtime: [], newConfig: [] } }),
      requester: { platform: 'terminal', userId: 'root' }, dryRun: true,
    });
    const message = renderPlanSummary(state);
    expect(message.title).toContain('dry run');
    expect(all(message)).toContain('Backup: bk-7');
    expect(message.tone).toBe('info');
  });
});

describe('checklist', () => {
  it('marks steps pending, running, done with durations, skipped, failed', () => {
    const events = happyHistory();
    let state = rebuildThread(UPGRADE, events.slice(0, 4));
    let lines = renderChecklist(state).lines ?? [];
    expect(lines).toEqual([
      '✅ host-a: backup (2.9 s)',
      '⏳ host-a: install 2026.9.6 (running)',
      '⬜ Approval: Switch production traffic',
      '⬜ host-a: switch traffic to green',
      '⬜ host-b: install 2026.9.6',
    ]);
    state = rebuildThread(UPGRADE, events);
    lines = renderChecklist(state).lines ?? [];
    expect(lines).toContain('✅ host-a: install 2026.9.6 (31.0 s)');
    expect(lines).toContain('✅ Approved: Switch production traffic by @bob, @carol');
    expect(lines).toContain('⏭️ host-b: install 2026.9.6 — already installed');
    expect(renderChecklist(state).title).toBe('Checklist (3/4 done)');

    const failed = reduceThread(rebuildThread(UPGRADE, events.slice(0, 4)), {
      type: 'step-failed', upgradeId: UPGRADE, stepId: 'host-a:install', at: '2026-05-01T10:00:10.000Z', durationMs: 7000, exitCode: 1,
      excerpt: 'npm ERR! code E404\nnpm ERR! 404 Not Found - openclaw@2026.9.6\n', error: 'install failed',
    });
    const failedMessage = renderChecklist(failed);
    expect(failedMessage.lines).toContain('❌ host-a: install 2026.9.6 (7.0 s)');
    expect(failedMessage.lines).toContain('    ↳ exit 1: install failed; npm ERR! 404 Not Found - openclaw@2026.9.6');
    expect(failedMessage.tone).toBe('danger');
  });

  it('shows a waiting gate with its count', () => {
    const state = rebuildThread(UPGRADE, happyHistory().slice(0, 7));
    expect(renderChecklist(state).lines).toContain('⏸️ Approval: Switch production traffic (waiting, 1/2)');
  });
});

describe('health, approvals, notes, report', () => {
  it('reports live, ready, version (when known) and latency per host', () => {
    const state = reduceThread(rebuildThread(UPGRADE, happyHistory().slice(0, 1)), {
      type: 'health', upgradeId: UPGRADE, results: [
        { host: 'host-a', live: true, ready: true, version: '2026.9.6', latencyMs: 42 },
        { host: 'host-b', live: true, ready: false, latencyMs: 1200, error: '/readyz answered 503' },
      ],
    });
    const message = renderHealth(state);
    expect(message.lines).toEqual([
      '✅ host-a: live · ready · 2026.9.6 · 42 ms',
      '❌ host-b: live · not ready · 1200 ms — /readyz answered 503',
    ]);
    expect(message.text).toBe('Health: 1/2 hosts live and ready');
    expect(message.tone).toBe('danger');
  });

  it('asks for approval naming the gate, the count, the deadline and the reactions', () => {
    const state = rebuildThread(UPGRADE, happyHistory().slice(0, 6));
    const gate = state.gates[0];
    if (gate === undefined) throw new Error('no gate');
    const message = renderApprovalRequest(gate, state, { timeZone: 'Europe/Berlin', reactions: { approve: ['white_check_mark', '✅'], reject: ['x', '❌'] } });
    expect(message.title).toBe('🔐 Approval needed: Switch production traffic');
    expect(message.text).toBe('2 approvals needed before "switch traffic to green". React ✅ to approve or ❌ to reject, by 2026-05-01 13:00 GMT+2.');
    expect(all(message)).toContain('Approvals: 0 of 2');
    expect(message.reactions).toEqual(['✅', '❌']);
    const passed = rebuildThread(UPGRADE, happyHistory().slice(0, 9));
    const closed = renderApprovalRequest(passed.gates[0] ?? gate, passed);
    expect(closed.reactions).toBeUndefined();
    expect(closed.text).toBe('✅ Approved: Switch production traffic by @bob, @carol');
    expect(closed.tone).toBe('success');
  });

  it('notes who approved on which platform, and approvals that did not count', () => {
    const state = rebuildThread(UPGRADE, happyHistory().slice(0, 8));
    expect(state.notes.map((note) => renderNote(note).text)).toEqual(['✅ approved by @bob on Slack', '✅ approved by @carol on Discord']);
    const own = renderNote({ kind: 'approval', gateId: 'switch', approval: approval('U1', 'slack', 'approve', 'alice'), counted: false, note: 'you cannot approve your own upgrade' });
    expect(own.text).toBe('➖ approved by @alice on Slack, not counted: you cannot approve your own upgrade');
    expect(renderNote({ kind: 'approval', gateId: 'g', approval: approval('9', 'discord', 'reject', 'dave'), counted: true }).text).toBe('❌ rejected by @dave on Discord');
  });

  it('writes a final report with outcome, steps, duration, approvers and running versions', () => {
    const message = renderReport(rebuildThread(UPGRADE, happyHistory()));
    expect(message.title).toBe('✅ Upgrade succeeded');
    expect(message.text).toBe('production runs 2026.9.6');
    const text = all(message);
    expect(text).toContain('Steps: 3 done, 1 skipped');
    expect(text).toContain('Duration: 4 min 00 s');
    expect(text).toContain('Approvals: "Switch production traffic" approved by @bob (Slack), @carol (Discord)');
    expect(text).toContain('host-b: 2026.9.6');
    expect(message.tone).toBe('success');
  });

  it('a failed report says why: the failed step\'s supervisor state and log tail, the newest lines kept', () => {
    const excerpt = [
      ...Array.from({ length: 30 }, (_, i) => `noise ${i}`),
      'PM2 app openclaw: waiting restart, 6 restarts, last exit code 78',
      'Gateway failed to start: state database uses newer schema version 18; this build supports 17.',
    ].join('\n');
    const history = [
      happyHistory()[0]!,
      { type: 'step-failed' as const, upgradeId: UPGRADE, stepId: 'host-a:install', at: '2026-12-04T10:01:00.000Z', durationMs: 4300, excerpt, error: 'not ready: the gateway keeps exiting on start' },
      { type: 'finished' as const, upgradeId: UPGRADE, outcome: 'failed' as const, summary: 'failed at host-a: install 2026.9.6' },
    ];
    const message = renderReport(rebuildThread(UPGRADE, history));
    const why = message.fields?.find((field) => field.label === 'Why host-a: install 2026.9.6 failed');
    expect(why?.value).toContain('last exit code 78');
    expect(why?.value).toContain('newer schema version 18');
    expect(why?.value).not.toContain('noise 3\n');
    expect(why?.value.length).toBeLessThanOrEqual(1000);
    expect(renderReport(rebuildThread(UPGRADE, happyHistory())).fields?.some((field) => field.label.startsWith('Why'))).toBe(false);
  });

  it('names a rollback as a rollback in its report', () => {
    const history = happyHistory().map((event) => (event.type === 'plan' ? { ...event, plan: samplePlan({ kind: 'rollback' }) } : event));
    expect(renderReport(rebuildThread(UPGRADE, history)).title).toBe('✅ Rollback succeeded');
    const failed = [...history.slice(0, -1), { type: 'finished' as const, upgradeId: UPGRADE, outcome: 'failed' as const, summary: 'x' }];
    expect(renderReport(rebuildThread(UPGRADE, failed)).title).toBe('❌ Rollback failed');
  });
});

describe('ThreadState reducer', () => {
  it('rebuilds the same thread from the history as the live fold did', () => {
    const events = happyHistory();
    let live = initialThreadState(UPGRADE);
    const sent = new Map<string, ChatMessage>();
    for (const event of events) {
      live = reduceThread(live, event);
      for (const op of diffThread(sent, threadMessages(live))) sent.set(op.key, op.message);
    }
    const rebuilt = threadMessages(rebuildThread(UPGRADE, events));
    expect(rebuilt.map((m) => m.key)).toEqual(['plan', 'checklist', 'health', 'gate:switch', 'note:0', 'note:1', 'report']);
    expect(Object.fromEntries(rebuilt.map((m) => [m.key, m.message]))).toEqual(Object.fromEntries(sent));
    expect(diffThread(sent, rebuilt)).toEqual([]);
  });

  it('ignores other upgrades and counts events', () => {
    const state = reduceThread(initialThreadState(UPGRADE), { type: 'log', upgradeId: 'other', level: 'warn', message: 'x' });
    expect(state.eventCount).toBe(0);
    expect(state.notes).toEqual([]);
  });

  it('renders a usable thread at every point of the history (property)', () => {
    const events = happyHistory();
    fc.assert(fc.property(fc.integer({ min: 0, max: events.length }), (cut) => {
      const state = rebuildThread(UPGRADE, events.slice(0, cut));
      expect(state.eventCount).toBe(cut);
      // Every message renders without throwing at any point of the history.
      for (const { message } of threadMessages(state)) expect(message.text.length).toBeGreaterThan(0);
    }));
  });

  it('diffs: only changed keys update, new keys post', () => {
    const before = threadMessages(rebuildThread(UPGRADE, happyHistory().slice(0, 2)));
    const after = threadMessages(rebuildThread(UPGRADE, happyHistory().slice(0, 3)));
    const ops = diffThread(new Map(before.map((m) => [m.key, m.message])), after);
    expect(ops.map((op) => `${op.op}:${op.key}`)).toEqual(['update:checklist']);
  });
});

describe('formatting', () => {
  it('formats durations and times', () => {
    expect(formatDuration(420)).toBe('420 ms');
    expect(formatDuration(2900)).toBe('2.9 s');
    expect(formatDuration(65_000)).toBe('1 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
    expect(formatTime('2026-05-01T11:00:00.000Z')).toBe('2026-05-01 11:00 UTC');
  });
});
