import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/runbook/plan.js';
import type { Plan, PlanGate, PlanStep } from '../../../src/runbook/types.js';
import { blockingGates, failBudget, firstUnsettled, nextAction, planSegments } from '../../../src/jobs/next-steps.js';
import { initialCursor, type Cursor } from '../../../src/jobs/queue.js';
import { fleet, host, planFacts, pm2Fleet } from '../runbook/fixtures.js';

function step(id: string, extra: Partial<PlanStep> = {}): PlanStep {
  return { id, title: id, kind: 'probe', environment: 'production', action: { type: 'command', argv: ['true'] }, timeoutMs: 1000, safeToRepeat: true, ...extra };
}

/** `host:suffix` in a rollout batch. */
function hostStep(hostName: string, suffix: string, batch: number, extra: Partial<PlanStep> = {}): PlanStep {
  return step(`${hostName}:${suffix}`, { host: hostName, phase: 'rollout', batch, ...extra });
}

function plan(steps: PlanStep[], gates: PlanGate[] = []): Plan {
  return { kind: 'upgrade', environment: 'production', fromVersions: {}, toVersion: '2', updateType: 'patch', strategy: 'pm2', expectedDowntime: '', warnings: [], steps, gates, hash: 'h' };
}

/**
 * Drives the scheduler like the worker does, with every running step taking one "tick": each
 * round starts what may start, then all of it finishes. Gates are approved when asked for
 * (`gate:<id>` in the trace). Returns the step ids started per round.
 */
function simulate(p: Plan, limit: number, cursor: Cursor = initialCursor(), fail: (id: string) => boolean = () => false): string[][] {
  const rounds: string[][] = [];
  for (let guard = 0; guard < 500; guard += 1) {
    const running = new Set<string>();
    const started: string[] = [];
    for (;;) {
      const action = nextAction(p, cursor, { running, limit: () => limit });
      if (action.kind !== 'run') {
        if (action.kind === 'gate' && running.size === 0) { cursor.passedGates.push(action.gate.id); started.push(`gate:${action.gate.id}`); continue; }
        if (action.kind === 'done') return rounds;
        break;
      }
      for (const next of action.steps) { running.add(next.id); started.push(next.id); }
    }
    for (const id of running) {
      const ran = p.steps.find((candidate) => candidate.id === id);
      if (fail(id) && ran?.host) (cursor.failedHosts ??= []).push(ran.host);
      else cursor.done.push(id);
    }
    rounds.push(started);
  }
  throw new Error('no progress');
}

describe('nextAction: rolling batches', () => {
  it('runs the hosts of a batch side by side, each host in plan order, and the next batch only after the whole batch', () => {
    const p = plan([
      step('probe-a', { host: 'a', phase: 'preflight', batch: 0 }), step('probe-b', { host: 'b', phase: 'preflight', batch: 0 }),
      hostStep('a', 'backup', 0), hostStep('a', 'switch', 0), hostStep('b', 'backup', 0), hostStep('b', 'switch', 0),
      hostStep('c', 'backup', 1), hostStep('c', 'switch', 1),
      step('record'),
    ]);
    expect(simulate(p, 2)).toEqual([
      ['probe-a'], ['probe-b'],
      ['a:backup', 'b:backup'], ['a:switch', 'b:switch'],
      ['c:backup'], ['c:switch'],
      ['record'],
    ]);
  });

  it('follows the real plan builder: staging first, production batches of `parallelism`, verify bounded by it, fleet steps last', () => {
    const config = pm2Fleet({ parallelism: 2, productionHosts: 3 });
    const p = buildPlan({ kind: 'upgrade', version: '2026.9.6', dryRun: false, skipStaging: false }, config, planFacts(config));
    const rounds = simulate(p, 2);
    const roundOf = (id: string) => rounds.findIndex((round) => round.includes(id));
    // Both hosts of batch 0 start each of their steps in the same round; prod-c (batch 1) after both are done.
    expect(roundOf('prod-a:backup')).toBe(roundOf('prod-b:backup'));
    expect(roundOf('prod-a:reload')).toBe(roundOf('prod-b:reload'));
    expect(roundOf('prod-c:backup')).toBe(Math.max(roundOf('prod-a:ready'), roundOf('prod-b:ready')) + 1);
    expect(roundOf('stage-a:health-doctor')).toBeLessThan(roundOf('prod-a:backup'));
    expect(Math.max(...rounds.map((round) => round.length))).toBe(2);
    // Verify phase: every host checked, never more than `parallelism` at once, before watch and record.
    expect(roundOf('prod-a:health-live')).toBe(roundOf('prod-b:health-live'));
    expect(roundOf('prod-c:health-live')).toBeGreaterThan(roundOf('prod-a:health-live'));
    expect(rounds.slice(-2)).toEqual([['watch'], ['record']]);
    expect(rounds.flat().sort()).toEqual(p.steps.map((s) => s.id).sort());
    // Batch 0 takes as many rounds as one host has steps (sequential would take twice that).
    const batch0 = rounds.filter((round) => round.some((id) => /^prod-[ab]:/.test(id) && p.steps.find((s) => s.id === id)?.phase === 'rollout'));
    expect(batch0).toHaveLength(p.steps.filter((s) => s.host === 'prod-a' && s.phase === 'rollout').length);
  });

  it('keeps steps without a batch (hand-made plans, old jobs) strictly in plan order', () => {
    const p = plan([step('a', { host: 'a' }), step('b', { host: 'b' }), step('c')]);
    expect(planSegments(p).every((segment) => !segment.concurrent)).toBe(true);
    expect(simulate(p, 10)).toEqual([['a'], ['b'], ['c']]);
  });

  it('starts no more than the limit, and gives a freed slot to the next host', () => {
    const p = plan(['a', 'b', 'c', 'd', 'e'].map((h) => hostStep(h, 'live', 0, { phase: 'verify' })));
    expect(simulate(p, 2)).toEqual([['a:live', 'b:live'], ['c:live', 'd:live'], ['e:live']]);
    const cursor = initialCursor();
    expect(nextAction(p, cursor, { running: new Set(['a:live', 'b:live']), limit: () => 2 })).toEqual({ kind: 'wait' });
    cursor.done.push('a:live');
    expect(nextAction(p, cursor, { running: new Set(['b:live']), limit: () => 2 })).toMatchObject({ kind: 'run', steps: [{ id: 'c:live' }] });
  });
});

describe('nextAction: gates inside a batch', () => {
  const gates: PlanGate[] = [
    { id: 'a:switch-traffic', title: 'a', reason: 'switch-traffic', beforeStep: 'a:switch' },
    { id: 'b:switch-traffic', title: 'b', reason: 'switch-traffic', beforeStep: 'b:switch' },
  ];
  const p = plan([
    hostStep('a', 'green-up', 0), hostStep('a', 'switch', 0, { kind: 'switch' }), hostStep('a', 'stop-blue', 0),
    hostStep('b', 'green-up', 0), hostStep('b', 'switch', 0, { kind: 'switch' }), hostStep('b', 'stop-blue', 0),
    step('record'),
  ], gates);

  it('runs every chain up to its gate, then asks for the gates one at a time in plan order', () => {
    expect(simulate(p, 2)).toEqual([
      ['a:green-up', 'b:green-up'],
      ['gate:a:switch-traffic', 'a:switch'],
      ['a:stop-blue'],
      ['gate:b:switch-traffic', 'b:switch'],
      ['b:stop-blue'],
      ['record'],
    ]);
  });

  it('never asks for a gate while a step runs (a gate parks the whole job)', () => {
    const cursor = initialCursor();
    cursor.done.push('a:green-up');
    expect(nextAction(p, cursor, { running: new Set(['b:green-up']), limit: () => 2 })).toEqual({ kind: 'wait' });
    cursor.done.push('b:green-up');
    expect(nextAction(p, cursor, { running: new Set(), limit: () => 2 })).toMatchObject({ kind: 'gate', gate: { id: 'a:switch-traffic' }, step: { id: 'a:switch' } });
  });

  it('a gate before the first step holds everything', () => {
    const front = plan([step('probe-a', { host: 'a', phase: 'preflight', batch: 0, after: ['breaking-change'] }), hostStep('a', 'x', 0)],
      [{ id: 'breaking-change', title: 'breaking', reason: 'breaking-change', beforeStep: 'probe-a' }]);
    expect(nextAction(front, initialCursor(), { running: new Set(), limit: () => 5 })).toMatchObject({ kind: 'gate', gate: { id: 'breaking-change' } });
  });

  it('a closed window asks before a switch while traffic has not moved; a pending confirm blocks its step', () => {
    const cursor = initialCursor();
    const switchStep = p.steps[1] as PlanStep;
    cursor.passedGates.push('a:switch-traffic');
    expect(blockingGates(p, switchStep, cursor, {}).map((gate) => gate.id)).toEqual([]);
    expect(blockingGates(p, switchStep, cursor, { windowClosedAt: '2026-09-20T04:00:00Z' }).map((gate) => gate.id)).toEqual(['window-closed:a:switch']);
    cursor.switched = true;
    expect(blockingGates(p, switchStep, cursor, { windowClosedAt: '2026-09-20T04:00:00Z' })).toEqual([]);
    const confirm: PlanGate = { id: 'confirm:a:switch', title: 'Re-run?', reason: 'confirm', beforeStep: 'a:switch' };
    expect(blockingGates(p, switchStep, cursor, { pendingGates: new Map([['a:switch', confirm]]) })).toEqual([confirm]);
    cursor.passedGates.push('confirm:a:switch');
    expect(blockingGates(p, switchStep, cursor, { pendingGates: new Map([['a:switch', confirm]]) })).toEqual([]);
  });
});

describe('nextAction: resume and failed hosts', () => {
  const p = plan([
    hostStep('a', 'install', 0, { safeToRepeat: false }), hostStep('a', 'reload', 0),
    hostStep('b', 'install', 0, { safeToRepeat: false }), hostStep('b', 'reload', 0),
    hostStep('c', 'install', 1), step('record'),
  ]);

  it('after a crash with two steps in flight, offers both again (the worker then applies the interrupted-step rules) and nothing done', () => {
    const cursor: Cursor = { ...initialCursor(), started: ['a:install', 'a:reload', 'b:install'], done: ['a:install'] };
    expect(nextAction(p, cursor, { running: new Set(), limit: () => 2 })).toEqual({ kind: 'run', steps: [p.steps[1], p.steps[2]] });
    expect(firstUnsettled(p, cursor)).toBe(1);
  });

  it('skips every remaining step of a failed host and goes on with the others', () => {
    expect(simulate(p, 2, initialCursor(), (id) => id === 'b:install')).toEqual([
      ['a:install', 'b:install'], ['a:reload'], ['c:install'], ['record'],
    ]);
    const cursor: Cursor = { ...initialCursor(), done: ['a:install', 'a:reload', 'c:install', 'record'], failedHosts: ['b'] };
    expect(nextAction(p, cursor, { running: new Set(), limit: () => 2 })).toEqual({ kind: 'done' });
    expect(firstUnsettled(p, cursor)).toBe(p.steps.length);
  });

  it('reads cursors saved before failedHosts existed', () => {
    const { failedHosts: _none, ...old } = { ...initialCursor(), done: ['a:install'] };
    expect(nextAction(p, old, { running: new Set(), limit: () => 2 })).toMatchObject({ kind: 'run', steps: [{ id: 'a:reload' }, { id: 'b:install' }] });
  });

  it('a blue-green plan from the builder puts each host\'s switch-traffic gate inside its batch', () => {
    const config = fleet({ production: { parallelism: 2, hosts: ['a', 'b'].map((name) => host(`bg-${name}`, { kind: 'blue-green', publicUrl: 'https://openclaw.example.com' })) } });
    const p2 = buildPlan({ kind: 'upgrade', version: '2026.9.6', dryRun: false, skipStaging: false }, config, planFacts(config));
    const trace = simulate(p2, 2).flat();
    const gateA = trace.indexOf('gate:bg-a:switch-traffic');
    const gateB = trace.indexOf('gate:bg-b:switch-traffic');
    expect(gateA).toBeGreaterThan(-1);
    expect(gateB).toBeGreaterThan(gateA);
    // Both hosts' pre-gate work (backup, green up, ready) ran before the first gate was asked.
    const beforeGate = trace.slice(0, gateA);
    expect(beforeGate.some((id) => id.startsWith('bg-b:') && id !== 'bg-b:probe')).toBe(true);
    expect(trace.indexOf((p2.gates.find((gate) => gate.id === 'bg-a:switch-traffic') as PlanGate).beforeStep)).toBe(gateA + 1);
  });
});

describe('failBudget', () => {
  it('tolerates nothing at 0 and up to the percentage otherwise', () => {
    expect(failBudget(1, 50, 0)).toEqual({ percent: 2, within: false });
    expect(failBudget(1, 4, 50)).toEqual({ percent: 25, within: true });
    expect(failBudget(2, 4, 50)).toEqual({ percent: 50, within: true });
    expect(failBudget(3, 4, 50)).toEqual({ percent: 75, within: false });
    expect(failBudget(1, 0, 100).within).toBe(true);
  });
});
