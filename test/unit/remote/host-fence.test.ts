import { describe, expect, test } from 'vitest';
import { actionsAfterTakeover, journalName, parseJournal } from '../../../src/remote/host-fence.js';

describe('host journal', () => {
  test('parses its lines and skips anything else', () => {
    expect(parseJournal('10 1 start host-a:install\n12 1 end host-a:install 0\ngarbage\n13 2 refused x\n')).toEqual([
      { at: 10, token: 1, event: 'start', label: 'host-a:install' },
      { at: 12, token: 1, event: 'end', label: 'host-a:install', exitCode: 0 },
      { at: 13, token: 2, event: 'refused', label: 'x' },
    ]);
  });

  test('an older attempt acting after a newer one began is found; refusals are not actions', () => {
    const entries = parseJournal([
      '10 1 start host-a:install', '20 2 start verify:host-a:install', '21 2 end verify:host-a:install 1',
      '25 1 end host-a:install 0', '26 1 refused host-a:switch',
    ].join('\n'));
    expect(actionsAfterTakeover(entries)).toEqual([{ at: 25, token: 1, event: 'end', label: 'host-a:install', exitCode: 0 }]);
    expect(actionsAfterTakeover(entries.filter((entry) => entry.at !== 25))).toEqual([]);
  });

  test('the journal name keeps only safe characters of the upgrade id', () => {
    expect(journalName('upg-1/../x y')).toBe('upg-1_.._x_y.journal');
  });
});
