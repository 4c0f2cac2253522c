import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/commands/parse.js';

describe('parseCommand: text on several lines', () => {
  it.each([
    ['upgrade 1.3.0\nproduction', 'upgrade 1.3.0 ⏎ production', 2],
    ['upgrade 1.3.0 production\r\n--skip-staging', 'upgrade 1.3.0 production ⏎ --skip-staging', 2],
    ['rollback\nproduction', 'rollback ⏎ production', 2],
    ['cancel\nup-42', 'cancel ⏎ up-42', 2],
    ['schedule cancel\nsch-1', 'schedule cancel ⏎ sch-1', 2],
    ['backup create\nproduction', 'backup create ⏎ production', 2],
    ['upgrade\n1.3.0\nproduction --at "2026-12-01 03:00 Europe/Berlin"', 'upgrade ⏎ 1.3.0 ⏎ production --at "2026-12-01 03:00 Europe/Berlin"', 3],
  ])('refuses a change sent on several lines: %j', (text, shown, count) => {
    const result = parseCommand(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toBe(`the command came on ${count} lines ("${shown}"); a command that changes something must be on one line, so nothing was done: send it again on one line`);
    expect(result.help).toContain('/openclaw');
  });

  it.each([
    'status\n', 'check\nproduction', 'version\nstaging', 'history\nproduction', 'help\nupgrade',
    'upgrade 1.3.0\nproduction --dry-run', 'rollback\nproduction --dry-run', 'backup list\nproduction', 'schedule\nlist',
  ])('stays lenient for what only reads: %j', (text) => {
    expect(parseCommand(text).ok).toBe(true);
  });

  it('does not count a trailing or leading newline as a second line', () => {
    expect(parseCommand('\nupgrade 1.3.0 production\n')).toMatchObject({ ok: true, command: { kind: 'upgrade', environment: 'production' } });
  });

  it('shortens a long paste in the reply', () => {
    const hosts = Array.from({ length: 30 }, (_, index) => `gateway-${index}`).join(',');
    const result = parseCommand(`upgrade 1.3.0\nproduction --hosts ${hosts}`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(`("${`upgrade 1.3.0 ⏎ production --hosts ${hosts}`.slice(0, 120)}…")`);
  });
});
