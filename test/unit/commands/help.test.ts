import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, COMMAND_SPECS } from '../../../src/commands/grammar.js';
import { helpText, usageLine } from '../../../src/commands/help.js';
import { parseCommand } from '../../../src/commands/parse.js';

describe('helpText', () => {
  it('shows usage, a sentence and an example for one command', () => {
    expect(helpText('rollback')).toBe([
      '/openclaw rollback [env] [--to <older version> | --from-backup <id>] [--with-staging] [--dry-run]',
      "  Undo the last upgrade that changed the environment's hosts (even one aimed at another environment), back to the versions they ran before; "
        + '--to goes to an older version, --from-backup restores a backup (ids: backup list), --with-staging also rolls back the staging hosts that upgrade changed first.',
      '  e.g. /openclaw rollback production --with-staging',
    ].join('\n'));
  });

  it('shows every command, in order, without a topic', () => {
    const text = helpText();
    const positions = COMMAND_SPECS.map((spec) => text.indexOf(`${spec.usage}\n`));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text.split('\n\n')).toHaveLength(COMMAND_NAMES.length);
  });

  it('points out an unknown topic and falls back to everything', () => {
    const text = helpText('rolback');
    expect(text.startsWith('There is no command "rolback" (did you mean rollback?).\n\n')).toBe(true);
    expect(text.endsWith(helpText())).toBe(true);
  });

  it('is case-insensitive and trims the topic', () => {
    expect(helpText(' Upgrade ')).toBe(helpText('upgrade'));
  });

  it.each(COMMAND_SPECS.map((spec) => [spec.kind, spec] as const))('the example for %s parses to that command', (kind, spec) => {
    const parsed = parseCommand(spec.example);
    expect(parsed.ok && parsed.command.kind).toBe(kind);
  });

  it.each(COMMAND_SPECS.map((spec) => [spec.kind, spec] as const))('the usage line of %s names each of its options', (_kind, spec) => {
    for (const option of spec.options) expect(spec.usage).toContain(`--${option.name}`);
  });

  it('gives a usage line per command and none for unknown ones', () => {
    expect(usageLine('status')).toBe('/openclaw status');
    expect(usageLine('nope')).toBeUndefined();
  });
});
