/**
 * The one place an argv array becomes a POSIX `sh` command line. Pure: no I/O.
 *
 * Every element is single-quoted (`'` becomes `'\''`), so nothing in an argument is ever
 * interpreted by the remote shell: not `$(…)`, backticks, globs, newlines or quotes.
 * `shell-quote`'s `quote()` was not used: it backslash-escapes some inputs and double-quotes
 * others, which is harder to reason about than one rule that is obviously total.
 *
 * Home directories: fleet configs use paths like `~/.openclaw`, and a quoted `'~/x'` would
 * reach the command as a literal tilde. So an element that *starts with* `~/` (or is exactly
 * `~`) is written as `"$HOME"/'rest'`: the remote user's home, then the rest quoted as usual.
 * Only a leading `~/` of a whole element is expanded (`--opt=~/x` stays literal), which is how
 * config paths reach the executor: one path is one argv element. `expandHome: false` turns it off.
 */
import { ClawopsError } from '../errors.js';

export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Options for {@link toShellCommand}. */
export interface ShellCommandOptions {
  /** Variables set for this command only (`NAME='value' cmd …`). Names must match {@link ENV_NAME_PATTERN}. */
  env?: Readonly<Record<string, string>> | undefined;
  /** Directory to run in (`cd -- dir && …`); a leading `~/` is expanded like any argument. */
  cwd?: string | undefined;
  /** Expand a leading `~/` to the remote `$HOME` (default true). */
  expandHome?: boolean | undefined;
}

/** Quotes one word for POSIX sh, always single-quoted; an empty string becomes `''`. */
export function quoteWord(word: string): string {
  assertNoNul(word);
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Quotes one argument, expanding a leading `~/` to `"$HOME"/` (see the module comment). */
export function quoteArg(arg: string, expandHome = true): string {
  if (expandHome) {
    if (arg === '~') return '"$HOME"';
    if (arg.startsWith('~/')) {
      const rest = arg.slice(2);
      return rest === '' ? '"$HOME"/' : `"$HOME"/${quoteWord(rest)}`;
    }
  }
  return quoteWord(arg);
}

/** Joins argv (+ env, cwd) into one `sh` command line. Throws PLAN_INVALID for an empty argv, a NUL byte or a bad env name. */
export function toShellCommand(argv: readonly string[], options: ShellCommandOptions = {}): string {
  if (argv.length === 0) throw new ClawopsError('PLAN_INVALID', 'cannot run an empty command');
  const expandHome = options.expandHome ?? true;
  const parts: string[] = [];
  for (const [name, value] of Object.entries(options.env ?? {})) {
    assertEnvName(name);
    parts.push(`${name}=${quoteArg(value, expandHome)}`);
  }
  for (const arg of argv) parts.push(quoteArg(arg, expandHome));
  const command = parts.join(' ');
  return options.cwd === undefined ? command : `cd -- ${quoteArg(options.cwd, expandHome)} && ${command}`;
}

export function assertEnvName(name: string): void {
  if (!ENV_NAME_PATTERN.test(name)) {
    throw new ClawopsError('PLAN_INVALID', `invalid environment variable name ${JSON.stringify(name)}: use letters, digits and _ (not starting with a digit)`, { name });
  }
}

function assertNoNul(word: string): void {
  // A C string cannot carry NUL: the remote side would silently cut the argument short.
  if (word.includes('\0')) throw new ClawopsError('PLAN_INVALID', 'a command argument contains a NUL byte', { word: word.replaceAll('\0', '\\0') });
}
