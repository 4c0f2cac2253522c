import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { NAME_PATTERN, STRATEGY_KINDS } from '../../../src/config/schema.js';
import { COMMAND_NAMES, COMMAND_SPECS, generalUsage } from '../../../src/commands/grammar.js';
import { parseCommand } from '../../../src/commands/parse.js';
import type { Command, ParseResult } from '../../../src/commands/types.js';

const RUNS = 10_000;
const USAGES = new Set([generalUsage(), ...COMMAND_SPECS.map((spec) => spec.usage)]);

const isVersion = (value: string, allowLatest = true) =>
  (allowLatest && value === 'latest') || (semver.valid(value) === value && !value.includes('+'));
const isName = (value: string | undefined) => value === undefined || (NAME_PATTERN.test(value) && value.length <= 63);

/** What every caller relies on: a well-formed Command, or a non-empty message plus a real usage text. */
function checkResult(result: ParseResult): void {
  if (!result.ok) {
    expect(typeof result.message).toBe('string');
    expect(result.message.length).toBeGreaterThan(0);
    expect(USAGES.has(result.help)).toBe(true);
    return;
  }
  const command: Command = result.command;
  expect(COMMAND_NAMES).toContain(command.kind);
  switch (command.kind) {
    case 'upgrade':
      expect(isVersion(command.version)).toBe(true);
      expect(isName(command.environment)).toBe(true);
      if (command.strategy !== undefined) expect(STRATEGY_KINDS).toContain(command.strategy);
      if (command.hosts !== undefined) {
        expect(command.hosts.length).toBeGreaterThan(0);
        expect(command.hosts.length).toBeLessThanOrEqual(100);
        expect(new Set(command.hosts).size).toBe(command.hosts.length);
        for (const host of command.hosts) expect(isName(host)).toBe(true);
      }
      if (command.schedule?.kind === 'at') expect(command.schedule.text).toMatch(/\d/);
      break;
    case 'rollback':
      expect(isName(command.environment)).toBe(true);
      expect(command.toVersion !== undefined && command.fromBackup !== undefined).toBe(false);
      if (command.toVersion !== undefined) expect(isVersion(command.toVersion, false)).toBe(true);
      break;
    case 'changelog':
      expect(isVersion(command.from, false) && isVersion(command.to)).toBe(true);
      break;
    case 'version': case 'check': case 'doctor': case 'history': case 'backup':
      expect(isName(command.environment)).toBe(true);
      break;
    case 'help':
      if (command.topic !== undefined) expect(COMMAND_NAMES).toContain(command.topic);
      break;
    default:
      break;
  }
}

/** An error message without the user's own text: the kind of mistake it reports. */
const errorClass = (message: string) => message.replace(/"[^"]*"|--?[a-z-]+|\d+/g, '_');

const GRAMMAR_WORDS = [
  ...COMMAND_NAMES, '/openclaw', 'UPGRADE', 'upgarde',
  ...COMMAND_SPECS.flatMap((spec) => spec.options.flatMap((option) => [`--${option.name}`, `\u2014${option.name}`, `--${option.name}=`])),
  '--', '-', '-h', '--help', '--forse', '=', ',', '"', "'", '\u201C', '\u201D', '\u2018', '\u2019',
  'latest', '1.3.0', 'v1.3.0', 'V2026.9.6', '2026.9.1-beta.1', '^1.2', '1.3', '1.x', '1.3.0+b', '01.2.3',
  'production', 'staging', 'Production', 'prod_eu', 'gw-1', 'a,b', 'a,,b', 'a,', 'a,a',
  'next', 'auto', 'list', 'cancel', 'create', 'verify', ...STRATEGY_KINDS, 'bluegreen',
  '2026-12-01', '03:00', 'Europe/Berlin', '42', 'upg-1:2', '../x',
];
const separatorArb = fc.oneof(
  { weight: 12, arbitrary: fc.constant(' ') },
  { weight: 1, arbitrary: fc.constantFrom('', '  ', '\t', '\n', '\u00A0', '"', "'", '\u201C', '=') },
);

// A command word first (mostly), then a handful of the grammar's words: deep enough to reach
// every command's value checks, messy enough to hit the tokenizer's corners.
const grammarText = fc.tuple(
  fc.constantFrom('', '', '/openclaw '),
  fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...COMMAND_NAMES) }, { weight: 1, arbitrary: fc.constantFrom(...GRAMMAR_WORDS) }),
  fc.array(fc.tuple(separatorArb, fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...GRAMMAR_WORDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) })), { maxLength: 6 }),
).map(([prefix, command, parts]) => prefix + command + parts.map(([separator, word]) => separator + word).join(''));

describe('parseCommand: total on every string', () => {
  it(`never throws on ${RUNS} arbitrary strings`, () => {
    fc.assert(fc.property(
      fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ minLength: 1990, maxLength: 2010 })),
      (text) => checkResult(parseCommand(text)),
    ), { numRuns: RUNS });
  });

  it(`never throws on ${RUNS} strings built from the grammar's own words, and reaches valid commands`, () => {
    const kinds = new Set<string>();
    let errors = 0;
    const messages = new Set<string>();
    fc.assert(fc.property(grammarText, (text) => {
      const result = parseCommand(text);
      checkResult(result);
      if (result.ok) kinds.add(result.command.kind);
      else {
        errors += 1;
        messages.add(errorClass(result.message));
      }
    }), { numRuns: RUNS });
    // The generator must reach past the tokenizer into every command's schema, not only fail early.
    expect(kinds.size).toBeGreaterThanOrEqual(10);
    expect(errors).toBeGreaterThan(RUNS / 10);
    expect(messages.size).toBeGreaterThanOrEqual(40);
  });
});

const nameArb = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,15}$/);
const versionArb = fc.oneof(
  fc.constant('latest'),
  fc.tuple(fc.nat({ max: 3000 }), fc.nat({ max: 99 }), fc.nat({ max: 99 }), fc.option(fc.tuple(fc.constantFrom('alpha', 'beta', 'rc'), fc.nat({ max: 20 }))))
    .map(([major, minor, patch, pre]) => `${major}.${minor}.${patch}${pre === null ? '' : `-${pre[0]}.${pre[1]}`}`),
);
const scheduleArb = fc.option(fc.oneof(
  fc.tuple(fc.integer({ min: 2026, max: 2030 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 23 }), fc.constantFrom('', ' UTC', ' Europe/Berlin'))
    .map(([year, month, hour, zone]) => ({ kind: 'at' as const, text: `${year}-${String(month).padStart(2, '0')}-01 ${String(hour).padStart(2, '0')}:00${zone}` })),
  fc.constantFrom('next' as const, 'auto' as const).map((which) => ({ kind: 'window' as const, which })),
), { nil: undefined });

const upgradeArb = fc.record({
  version: versionArb,
  environment: fc.option(nameArb, { nil: undefined }),
  strategy: fc.option(fc.constantFrom(...STRATEGY_KINDS), { nil: undefined }),
  hosts: fc.option(fc.uniqueArray(nameArb, { minLength: 1, maxLength: 6 }), { nil: undefined }),
  schedule: scheduleArb,
  dryRun: fc.boolean(),
  skipStaging: fc.boolean(),
});

const styleArb = fc.record({
  prefix: fc.constantFrom('', '/openclaw ', '/OpenClaw  '),
  vPrefix: fc.boolean(),
  dash: fc.constantFrom('--', '--', '\u2014', '\u2013'),
  equals: fc.boolean(),
  quotes: fc.constantFrom(['"', '"'], ["'", "'"], ['\u201C', '\u201D'], ['\u2018', '\u2019']),
  hostSeparator: fc.constantFrom(',', ', '),
  separator: fc.constantFrom(' ', '  ', '\t', '\u00A0'),
  order: fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
});

describe('parseCommand: round trip', () => {
  it(`parses ${RUNS} generated upgrade commands back to the same fields`, () => {
    fc.assert(fc.property(upgradeArb, styleArb, (upgrade, style) => {
      const [open, close] = style.quotes;
      const option = (name: string, value?: string) =>
        value === undefined ? `${style.dash}${name}` : style.equals ? `${style.dash}${name}=${value}` : `${style.dash}${name}${style.separator}${value}`;
      const options: string[] = [];
      if (upgrade.strategy !== undefined) options.push(option('strategy', upgrade.strategy));
      if (upgrade.hosts !== undefined) options.push(option('hosts', `${open}${upgrade.hosts.join(style.hostSeparator)}${close}`));
      if (upgrade.schedule?.kind === 'at') options.push(option('at', `${open}${upgrade.schedule.text}${close}`));
      if (upgrade.schedule?.kind === 'window') options.push(option('window', upgrade.schedule.which));
      if (upgrade.dryRun) options.push(option('dry-run'));
      if (upgrade.skipStaging) options.push(option('skip-staging'));
      // Options go anywhere; the version stays before the environment.
      const words = options.map((text, index) => ({ text, key: style.order[index] ?? 0 })).sort((a, b) => a.key - b.key).map((entry) => entry.text);
      const version = style.vPrefix && upgrade.version !== 'latest' ? `v${upgrade.version}` : upgrade.version;
      const positionals = [version, ...(upgrade.environment === undefined ? [] : [upgrade.environment])];
      const at = Math.min(style.order[8] ?? 0, words.length);
      words.splice(at, 0, ...positionals);
      const text = `${style.prefix}upgrade${style.separator}${words.join(style.separator)}`;

      const expected: Command = {
        kind: 'upgrade',
        version: upgrade.version,
        ...(upgrade.environment === undefined ? {} : { environment: upgrade.environment }),
        ...(upgrade.strategy === undefined ? {} : { strategy: upgrade.strategy }),
        ...(upgrade.hosts === undefined ? {} : { hosts: upgrade.hosts }),
        ...(upgrade.schedule === undefined ? {} : { schedule: upgrade.schedule }),
        dryRun: upgrade.dryRun,
        skipStaging: upgrade.skipStaging,
      };
      expect(parseCommand(text)).toEqual({ ok: true, command: expected });
    }), { numRuns: RUNS });
  });
});
