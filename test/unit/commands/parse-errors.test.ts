import { describe, expect, it } from 'vitest';
import { generalUsage } from '../../../src/commands/grammar.js';
import { usageLine } from '../../../src/commands/help.js';
import { MAX_INPUT_LENGTH, parseCommand, parseCommandOrThrow } from '../../../src/commands/parse.js';
import { isClawopsError } from '../../../src/errors.js';

const COMMANDS = 'upgrade, rollback, status, version, check, changelog, backup, doctor, schedule, cancel, history, help';

/** [input, exact message, command whose usage line comes back as help ('*' = the general usage)] */
const errors: Array<[string, string, string]> = [
  // unknown commands
  ['upgarde 1.3.0', `unknown command "upgarde" (did you mean upgrade?). Try: ${COMMANDS}`, '*'],
  ['deploy 1.3.0', `unknown command "deploy". Try: ${COMMANDS}`, '*'],
  ['"--help"', `unknown command "--help" (did you mean help?). Try: ${COMMANDS}`, '*'],
  // versions
  ['upgrade', 'upgrade needs a version, e.g. 2026.9.6 or latest', 'upgrade'],
  ['upgrade ^1.2', '"^1.2" is a version range; give one exact version, e.g. 1.3.0, 2026.9.6 or latest', 'upgrade'],
  ['upgrade 1.x', '"1.x" is a version range; give one exact version, e.g. 1.3.0, 2026.9.6 or latest', 'upgrade'],
  ['upgrade >=1.2.0', '">=1.2.0" is a version range; give one exact version, e.g. 1.3.0, 2026.9.6 or latest', 'upgrade'],
  ['upgrade 1.3', '"1.3" is not a complete version: give major.minor.patch, e.g. 1.3.0', 'upgrade'],
  ['upgrade v2', '"v2" is not a complete version: give major.minor.patch, e.g. 2.0.0', 'upgrade'],
  ['upgrade banana', '"banana" is not a version; e.g. 1.3.0, 2026.9.6 or latest', 'upgrade'],
  ['upgrade 01.2.3', '"01.2.3" is not a version; e.g. 1.3.0, 2026.9.6 or latest', 'upgrade'],
  ['upgrade ""', 'the version is empty; e.g. 1.3.0, 2026.9.6 or latest', 'upgrade'],
  ['upgrade 1.3.0+build.5', '"1.3.0+build.5" has build metadata, which npm ignores: give 1.3.0', 'upgrade'],
  ['upgrade production 1.3.0', 'put the version first: upgrade 1.3.0 production', 'upgrade'],
  ['rollback --to latest', 'latest is not allowed here: give an exact version, e.g. 2026.9.5', 'rollback'],
  ['rollback --to 1.2', '"1.2" is not a complete version: give major.minor.patch, e.g. 1.2.0', 'rollback'],
  ['changelog', 'changelog needs two versions: the one you run and the one you want', 'changelog'],
  ['changelog 2026.9.5', 'changelog needs a second version to compare with, e.g. latest', 'changelog'],
  ['changelog latest 2026.9.6', 'latest is not allowed here: give an exact version, e.g. 2026.9.5', 'changelog'],
  // names
  ['upgrade 1.3.0 Production', 'environment names are lowercase: did you mean production?', 'upgrade'],
  ['upgrade 1.3.0 prod_eu', '"prod_eu" is not a valid environment name: use lowercase letters, digits and dashes, starting with a letter or digit', 'upgrade'],
  ['version "-staging-"', '"-staging-" is not a valid environment name: use lowercase letters, digits and dashes, starting with a letter or digit', 'version'],
  [`history ${'a'.repeat(64)}`, `the environment name "${'a'.repeat(40)}…" is too long (at most 63 characters)`, 'history'],
  ['upgrade 1.3.0 --hosts gw-1,,gw-2', '--hosts "gw-1,,gw-2" has an empty name: separate host names with single commas', 'upgrade'],
  ['upgrade 1.3.0 --hosts ,', '--hosts needs host names separated by commas, e.g. --hosts gw-1,gw-2', 'upgrade'],
  ['upgrade 1.3.0 --hosts gw-1,GW-2', '--hosts: host names are lowercase: did you mean gw-2?', 'upgrade'],
  ['upgrade 1.3.0 --hosts gw-1,gw-1', '--hosts lists gw-1 twice', 'upgrade'],
  [`upgrade 1.3.0 --hosts ${Array.from({ length: 101 }, (_, i) => `h${i}`).join(',')}`, '--hosts lists 101 hosts; at most 100 fit in one command', 'upgrade'],
  ['cancel "../../etc"', '"../../etc" is not a valid upgrade id: use letters, digits, dots, dashes, underscores or colons', 'cancel'],
  ['rollback --from-backup a/b', '"a/b" is not a valid backup id: use letters, digits, dots, dashes, underscores or colons', 'rollback'],
  // choices
  ['upgrade 1.3.0 --strategy bluegreen', 'unknown strategy "bluegreen" (did you mean blue-green?); expected one of pm2, systemd, blue-green, docker-compose, docker-swarm', 'upgrade'],
  ['upgrade 1.3.0 --strategy k8s', 'unknown strategy "k8s"; expected one of pm2, systemd, blue-green, docker-compose, docker-swarm', 'upgrade'],
  ['upgrade 1.3.0 --window later', '--window takes next or auto, not "later"; for a specific time use --at <time>', 'upgrade'],
  ['upgrade 1.3.0 --at tonight', '--at "tonight" is not a time; e.g. --at "2026-12-01 03:00 Europe/Berlin"', 'upgrade'],
  ['backup', 'backup needs an action: create, verify or list', 'backup'],
  ['backup craete', 'unknown backup action "craete" (did you mean create?); expected create, verify or list', 'backup'],
  ['schedule', 'schedule needs an action: list, or cancel <id>', 'schedule'],
  ['schedule delete 4', 'unknown schedule action "delete"; expected list or cancel', 'schedule'],
  ['schedule list 4', 'schedule list takes no id; to cancel a scheduled upgrade: schedule cancel <id>', 'schedule'],
  ['schedule cancel', 'schedule cancel needs the id of the scheduled upgrade (see schedule list)', 'schedule'],
  ['cancel', 'cancel needs the id of the upgrade to stop (see status)', 'cancel'],
  ['help upgarde', `no help for "upgarde": there is no such command (did you mean upgrade?). Try: ${COMMANDS}`, 'help'],
  // options
  ['upgrade 1.3.0 --forse', 'unknown option --forse for upgrade; upgrade takes --strategy, --hosts, --at, --window, --dry-run, --skip-staging', 'upgrade'],
  ['upgrade 1.3.0 --dryrun', 'unknown option --dryrun for upgrade; did you mean --dry-run?', 'upgrade'],
  ['upgrade 1.3.0 --skip-stagin', 'unknown option --skip-stagin for upgrade; did you mean --skip-staging?', 'upgrade'],
  ['upgrade 1.3.0 -f', 'unknown option -f for upgrade; upgrade takes --strategy, --hosts, --at, --window, --dry-run, --skip-staging', 'upgrade'],
  ['upgrade 1.3.0 --to 1.2.0', 'unknown option --to for upgrade; --to belongs to rollback', 'upgrade'],
  ['status --"a b"', 'unknown option "--a b" for status: status takes no options', 'status'],
  ['status --verbose', 'unknown option --verbose for status: status takes no options', 'status'],
  ['upgrade 1.3.0 --strategy pm2 --strategy systemd', '--strategy is given twice; give it once', 'upgrade'],
  ['rollback --dry-run --DRY-RUN', '--dry-run is given twice; give it once', 'rollback'],
  ['rollback production --with-staging=yes', '--with-staging takes no value', 'rollback'],
  ['upgrade 1.3.0 --at', '--at needs a value: --at <time>', 'upgrade'],
  ['upgrade 1.3.0 --strategy --dry-run', '--strategy needs a value: --strategy <strategy>', 'upgrade'],
  ['upgrade 1.3.0 --hosts=', '--hosts needs a value: --hosts <a,b>', 'upgrade'],
  ['rollback --to', '--to needs a value: --to <version>', 'rollback'],
  ['upgrade 1.3.0 --dry-run=yes', '--dry-run takes no value', 'upgrade'],
  ['upgrade 1.3.0 --at 03:00 --window next', '--at and --window cannot be combined: give either a time or a window', 'upgrade'],
  ['rollback --to 1.2.0 --from-backup b-1', '--to and --from-backup cannot be combined: a backup restores the version it was taken from', 'rollback'],
  // arity
  ['upgrade 1.3.0 production now', 'unexpected argument "now": upgrade takes <version> [env]', 'upgrade'],
  ['status production', 'unexpected argument "production": status takes no arguments', 'status'],
  ['changelog 1.0.0 1.1.0 1.2.0', 'unexpected argument "1.2.0": changelog takes <from> <to>', 'changelog'],
  ['help upgrade rollback', 'unexpected argument "rollback": help takes [command]', 'help'],
  // text
  ['upgrade "1.3.0', 'the " quote opened at position 9 is never closed', 'upgrade'],
  ["rollback --at '3", "the ' quote opened at position 15 is never closed", 'rollback'],
  ['upgrade 1.3.0\u0000', 'the command contains a control character (U+0000) at position 14; type it again without it', 'upgrade'],
  [`upgrade ${'x'.repeat(MAX_INPUT_LENGTH)}`, `the command is too long (${MAX_INPUT_LENGTH + 8} characters; at most ${MAX_INPUT_LENGTH})`, 'upgrade'],
  [`nonsense ${'x'.repeat(MAX_INPUT_LENGTH)}`, `the command is too long (${MAX_INPUT_LENGTH + 9} characters; at most ${MAX_INPUT_LENGTH})`, '*'],
];

describe('parseCommand: errors', () => {
  it.each(errors)('%j', (text, message, helpOf) => {
    const help = helpOf === '*' ? generalUsage() : usageLine(helpOf);
    expect(help).toBeDefined();
    expect(parseCommand(text)).toEqual({ ok: false, message, help });
  });

  it('answers errors with the usage line users can copy', () => {
    expect(parseCommand('upgrade').ok === false && parseCommand('upgrade')).toMatchObject({
      help: '/openclaw upgrade <version> [env] [--strategy pm2|systemd|blue-green|docker-compose|docker-swarm] [--hosts a,b] [--at <time> | --window next|auto] [--dry-run] [--skip-staging]',
    });
    expect(parseCommand('rollback --bogus')).toMatchObject({ help: '/openclaw rollback [env] [--to <older version> | --from-backup <id>] [--with-staging] [--dry-run]' });
    const unknown = parseCommand('upgarde');
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) {
      expect(unknown.help.split('\n')).toHaveLength(12);
      expect(unknown.help).toContain('/openclaw schedule list | schedule cancel <id>');
    }
  });

  it('refuses non-string input instead of throwing', () => {
    expect(parseCommand(undefined as unknown as string)).toMatchObject({ ok: false, message: 'expected the text of a command' });
  });

  it('throws COMMAND_INVALID with the usage line from parseCommandOrThrow', () => {
    expect(parseCommandOrThrow('status')).toEqual({ kind: 'status' });
    let caught: unknown;
    try {
      parseCommandOrThrow('upgrade 1.3');
    } catch (error) {
      caught = error;
    }
    expect(isClawopsError(caught, 'COMMAND_INVALID')).toBe(true);
    expect(caught).toMatchObject({ message: '"1.3" is not a complete version: give major.minor.patch, e.g. 1.3.0', details: { help: usageLine('upgrade') } });
  });
});
