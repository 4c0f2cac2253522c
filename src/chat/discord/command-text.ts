import { normalizeTypography } from '../../commands/tokenize.js';
import { ClawopsError } from '../../errors.js';
import { discordSubcommands } from './command-spec.js';

/** The options of one invoked subcommand, as Discord delivers them. */
export interface InvokedSubcommand {
  subcommand: string;
  options: ReadonlyArray<{ name: string; value?: string | number | boolean | undefined }>;
}

const bare = /^[A-Za-z0-9._:/@+,=%-]+$/;

/**
 * Quotes one word so the command tokenizer (src/commands/tokenize.ts: quotes group and join
 * onto a word, no escapes, a quoted word is always a value) reads it back unchanged.
 */
export function quoteWord(word: string): string {
  if (bare.test(word) && !word.startsWith('-')) return word;
  if (!word.includes("'")) return `'${word}'`;
  if (!word.includes('"')) return `"${word}"`;
  return word.split("'").map((part) => `'${part}'`).join(`"'"`);
}

/**
 * Turns an `/openclaw <subcommand>` interaction back into the command text the shared parser
 * reads (`upgrade 1.3.0 production --dry-run`). Values are quoted, so one that looks like a
 * flag stays a value and the parser judges it like typed text.
 */
export function interactionToCommandText(invoked: InvokedSubcommand): string {
  const spec = discordSubcommands.find((candidate) => candidate.name === invoked.subcommand);
  if (spec === undefined) {
    throw new ClawopsError('COMMAND_INVALID', `Unknown subcommand \`${invoked.subcommand}\`.`, { subcommand: invoked.subcommand });
  }
  const given = new Map(invoked.options.map((option) => [option.name, option.value]));
  for (const name of given.keys()) {
    if (!spec.options.some((option) => option.name === name)) {
      throw new ClawopsError('COMMAND_INVALID', `\`/openclaw ${spec.name}\` has no option \`${name}\`.`, { subcommand: spec.name, option: name });
    }
  }
  const positional: string[] = [];
  const flags: string[] = [];
  for (const option of spec.options) {
    const value = given.get(option.name);
    if (value === undefined || value === false) continue;
    if (option.type === 'boolean') {
      if (option.render === 'flag') flags.push(`--${option.name}`);
      continue;
    }
    // The parser straightens smart quotes before tokenizing; do it first so quoting survives that.
    const text = normalizeTypography(String(value)).trim();
    // Skipping it would let the next value slide into its place (an empty version makes the
    // environment the version) or fall back to a default (an empty env means production).
    // `""` typed into the field means empty too: nothing is named only by quotes.
    if (text.replace(/["'\s]/g, '') === '') {
      throw new ClawopsError('COMMAND_INVALID', `the option \`${option.name}\` is empty: give it a value, or leave the option out. Nothing was done.`, { subcommand: spec.name, option: option.name });
    }
    if (option.render === 'positional') positional.push(quoteWord(text));
    else flags.push(`--${option.name}`, quoteWord(text));
  }
  return [spec.name, ...positional, ...flags].join(' ');
}
