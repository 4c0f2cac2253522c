/** `node:util` parseArgs for subcommands, with its errors turned into plain usage errors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ClawopsError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a subcommand's arguments strictly. Unknown options, missing option values and more
 * positionals than `maxPositionals` become ClawopsError `COMMAND_INVALID` naming the problem.
 */
export function parseCliArgs<O extends Options>(args: string[], options: O, maxPositionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error);
    throw new ClawopsError('COMMAND_INVALID', message.replace(/\. To specify a positional argument.*$/, ''), {}, { cause: error });
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals).map((word) => JSON.stringify(word)).join(', ');
    throw new ClawopsError('COMMAND_INVALID', `unexpected argument${parsed.positionals.length - maxPositionals === 1 ? '' : 's'} ${extra}`);
  }
  return parsed;
}
