/** The chaos judge on hand-written journals: it must see the orphans and repeats it exists to catch. */
import { expect, test } from 'vitest';
import { parseJournal } from '../../src/remote/host-fence.js';
import type { PlanStep } from '../../src/runbook/types.js';
import { orphanActions, unsafeRepeats } from './judge.js';

const journal = parseJournal([
  '1000 1 start host-a:install', '1500 1 end host-a:install 0',
  '1600 1 start host-a:switch',
  '5000 2 start verify:host-a:switch', '5010 2 end verify:host-a:switch 1',
  '5020 2 start host-a:switch', '5030 2 end host-a:switch 0',
  // The first attempt's mv, still running, ends after the takeover's first command: an orphan.
  '5100 1 end host-a:switch 0',
  '5200 1 refused host-a:reload',
].join('\n'));

const step = (id: string, safeToRepeat: boolean): PlanStep => ({
  id, title: id, kind: 'switch', host: 'host-a', environment: 'production', action: { type: 'command', argv: ['true'] }, timeoutMs: 1000, safeToRepeat,
});

test('an older attempt acting after a newer one began is an orphan; a refusal is not', () => {
  expect(orphanActions(journal).map((entry) => `${entry.token} ${entry.event} ${entry.label}`)).toEqual(['1 end host-a:switch']);
});

test('an unsafe step that ended twice on a host is a repeat; a safe one and a verify probe are not', () => {
  const host = { host: 'host-a', journal, installRuns: 1, serving: { version: '1.3.1', ready: true } };
  expect(unsafeRepeats([step('host-a:install', true), step('host-a:switch', false)], host)).toEqual([{ stepId: 'host-a:switch', runs: 2 }]);
  expect(unsafeRepeats([step('host-a:reload', false)], { ...host, inPlaceRestarts: 2 })).toEqual([{ stepId: 'host-a:reload', runs: 2 }]);
});
