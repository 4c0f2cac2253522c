/**
 * `/openclaw …` text → a typed Command, or a reply saying exactly what is wrong and how the
 * command is used. Pure, and total: it returns a ParseResult for every string.
 */
import { COMMAND_NAMES, COMMAND_PREFIX, COMMAND_SPECS, findSpec, generalUsage, type CommandSpec } from './grammar.js';
import { isReadOnly } from './authorize.js';
import { COMMAND_SCHEMAS, hint, type Args } from './schemas.js';
import { closest } from './suggest.js';
import { normalizeTypography, tokenize, type Token } from './tokenize.js';
import { ClawopsError } from '../errors.js';
import type { Command, ParseResult } from './types.js';
import { show } from './values.js';

/** Longer input is refused before any work is done on it. */
export const MAX_INPUT_LENGTH = 2000;

const HELP_OPTIONS = new Set(['--help', '-h']);
/** Words that continue an unquoted `--at` value: a clock time, a UTC offset, a zone, am/pm. */
const TIME_PART = /^(\d{1,2}:\d{2}(:\d{2})?|[+-]\d{2}:?\d{2}|UTC|GMT|Z|am|pm|AM|PM|[A-Z][A-Za-z_+-]*\/[A-Za-z_/+-]+)$/;

export function parseCommand(text: string): ParseResult {
  if (typeof text !== 'string') return fail('expected the text of a command', generalUsage());
  if (text.length > MAX_INPUT_LENGTH) {
    return fail(`the command is too long (${text.length} characters; at most ${MAX_INPUT_LENGTH})`, usageFor(text));
  }
  const tokenized = tokenize(text);
  if (!tokenized.ok) return fail(tokenized.message, usageFor(text));
  const tokens = dropPrefix(tokenized.tokens);
  const [word, ...rest] = tokens;
  if (word === undefined) return { ok: true, command: { kind: 'help' } };
  if (!word.quoted && HELP_OPTIONS.has(word.text.toLowerCase())) return { ok: true, command: { kind: 'help' } };
  const spec = findSpec(word.text);
  if (spec === undefined) return fail(unknownCommand(word.text), generalUsage());

  const split = splitArgs(spec, rest);
  if (!split.ok) return fail(split.message, spec.usage);
  if (split.help) return { ok: true, command: spec.kind === 'help' ? { kind: 'help' } : { kind: 'help', topic: spec.kind } };

  const hinted = hint(spec.kind, split.args);
  if (hinted !== undefined) return fail(hinted, spec.usage);
  const parsed = COMMAND_SCHEMAS[spec.kind].safeParse(split.args);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message;
    return fail(message !== undefined && message !== '' ? message : `invalid ${spec.kind} command`, spec.usage);
  }
  const lines = text.trim().split(/\r\n|\r|\n/);
  if (lines.length > 1 && changesSomething(parsed.data)) return fail(multiLine(lines), spec.usage);
  return { ok: true, command: parsed.data };
}

/**
 * A pasted block of text that happens to parse must not start a change: `upgrade 1.3.0` on one
 * line and `production` on the next reads as a production upgrade, which the person may not have
 * meant. Reading commands and dry runs change nothing, so they stay lenient.
 */
function changesSomething(command: Command): boolean {
  if (isReadOnly(command)) return false;
  return !((command.kind === 'upgrade' || command.kind === 'rollback') && command.dryRun);
}

function multiLine(lines: readonly string[]): string {
  const received = lines.map((line) => line.trim()).join(' ⏎ ');
  const shown = received.length > 120 ? `${received.slice(0, 120)}…` : received;
  return `the command came on ${lines.length} lines ("${shown}"); a command that changes something must be on one line, so nothing was done: send it again on one line`;
}

/** parseCommand for callers that handle errors by code: throws COMMAND_INVALID with `details.help`. */
export function parseCommandOrThrow(text: string): Command {
  const result = parseCommand(text);
  if (!result.ok) throw new ClawopsError('COMMAND_INVALID', result.message, { help: result.help });
  return result.command;
}

function fail(message: string, help: string): ParseResult {
  return { ok: false, message, help };
}

function dropPrefix(tokens: Token[]): Token[] {
  const [first, ...rest] = tokens;
  return first !== undefined && !first.quoted && first.text.toLowerCase() === COMMAND_PREFIX ? rest : tokens;
}

/** The usage of the command the text seems to name, for replies about text that did not tokenize. */
function usageFor(text: string): string {
  const words = normalizeTypography(text.slice(0, 200)).trim().split(/\s+/);
  const word = words[0]?.toLowerCase() === COMMAND_PREFIX ? words[1] : words[0];
  return (word === undefined ? undefined : findSpec(word))?.usage ?? generalUsage();
}

function unknownCommand(word: string): string {
  const guess = closest(word, COMMAND_NAMES);
  return `unknown command ${show(word)}${guess === undefined ? '' : ` (did you mean ${guess}?)`}. Try: ${COMMAND_NAMES.join(', ')}`;
}

type SplitResult = { ok: true; args: Args; help: boolean } | { ok: false; message: string };

function isOption(token: Token): boolean {
  return !token.quoted && /^(--|-[A-Za-z])/.test(token.text);
}

/** Sorts tokens into positionals and options, checking everything the grammar table knows. */
function splitArgs(spec: CommandSpec, tokens: Token[]): SplitResult {
  const positionals: string[] = [];
  const options: Record<string, string | true> = {};
  let help = false;
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index];
    if (token === undefined) break;
    if (!isOption(token)) {
      positionals.push(token.text);
      continue;
    }
    if (HELP_OPTIONS.has(token.text.toLowerCase())) {
      help = true;
      continue;
    }
    const equals = token.text.indexOf('=');
    const written = equals === -1 ? token.text : token.text.slice(0, equals);
    const name = written.replace(/^--?/, '').toLowerCase();
    const option = token.text.startsWith('--') ? spec.options.find((candidate) => candidate.name === name) : undefined;
    if (option === undefined) return { ok: false, message: unknownOption(spec, written) };
    if (Object.hasOwn(options, name)) return { ok: false, message: `--${name} is given twice; give it once` };
    if (option.value === undefined) {
      if (equals !== -1) return { ok: false, message: `--${name} takes no value` };
      options[name] = true;
      continue;
    }
    let value: string;
    if (equals !== -1) {
      value = token.text.slice(equals + 1);
    } else {
      const next = tokens[index + 1];
      if (next === undefined || isOption(next)) return { ok: false, message: `--${name} needs a value: --${name} ${option.value}` };
      value = next.text;
      index += 1;
    }
    // `--hosts a, b`: the space after a comma splits the list into two words; rejoin them.
    while (name === 'hosts' && value.endsWith(',')) {
      const next = tokens[index + 1];
      if (next === undefined || isOption(next)) break;
      value += next.text;
      index += 1;
    }
    // `--at 2026-12-01 03:00 Europe/Berlin` without quotes: the clock time and zone belong to it.
    while (name === 'at') {
      const next = tokens[index + 1];
      if (next === undefined || next.quoted || !TIME_PART.test(next.text)) break;
      value += ` ${next.text}`;
      index += 1;
    }
    if (value === '') return { ok: false, message: `--${name} needs a value: --${name} ${option.value}` };
    options[name] = value;
  }
  if (help) return { ok: true, args: { positionals, options }, help };
  const max = spec.positionals.length;
  if (positionals.length > max) {
    const extra = positionals[max] ?? '';
    const takes = max === 0 ? 'no arguments' : spec.positionals.map((positional) => positional.name).join(' ');
    return { ok: false, message: `unexpected argument ${show(extra)}: ${spec.kind} takes ${takes}` };
  }
  const missing = spec.positionals.slice(positionals.length).find((positional) => positional.required);
  if (missing !== undefined) return { ok: false, message: missing.missing ?? `${spec.kind} needs ${missing.name}` };
  return { ok: true, args: { positionals, options }, help };
}

function unknownOption(spec: CommandSpec, written: string): string {
  const names = spec.options.map((option) => `--${option.name}`);
  const shown = /^--?[A-Za-z0-9][A-Za-z0-9-]{0,39}$/.test(written) ? written : show(written);
  const base = `unknown option ${shown} for ${spec.kind}`;
  const guess = closest(written.toLowerCase(), names);
  if (guess !== undefined) return `${base}; did you mean ${guess}?`;
  const name = written.replace(/^--?/, '').toLowerCase();
  const owner = COMMAND_SPECS.find((other) => other.options.some((option) => option.name === name));
  if (owner !== undefined) return `${base}; --${name} belongs to ${owner.kind}`;
  return names.length === 0 ? `${base}: ${spec.kind} takes no options` : `${base}; ${spec.kind} takes ${names.join(', ')}`;
}
