/**
 * Reads a systemd `ExecStart=` value far enough to replace the program it runs, keeping the rest
 * of the line byte for byte (quoting, specifiers and variables stay systemd's business).
 */

/** An ExecStart value split at its program. */
export interface ParsedExecStart {
  /** systemd's special prefixes as written (`-`, `@`, `:`, `+`, `!`, `!!`). */
  prefix: string;
  /** The program, unquoted. */
  program: string;
  /**
   * When the line runs openclaw: the argv prefix that does (`/opt/npm/bin/openclaw`, or
   * `node …/openclaw.mjs`) and the rest of the line after it, leading space kept.
   */
  openclaw?: { binary: string[]; rest: string };
}

const WORD = /"(?:[^"\\]|\\.)*"|'[^']*'|\S+/g;

function unquote(word: string): string {
  if (word.length >= 2 && (word.startsWith('"') || word.startsWith("'")) && word.endsWith(word[0] as string)) {
    return word.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return word;
}

const basename = (path: string): string => path.replace(/\/+$/, '').split('/').pop() ?? path;

/** `…/bin/openclaw`, the package's `openclaw.mjs`, or a file inside `node_modules/openclaw/`. */
export function isOpenclawScript(path: string): boolean {
  const base = basename(path);
  return base === 'openclaw' || /^openclaw\.[cm]?js$/.test(base) || path.includes('/node_modules/openclaw/');
}

/** `node`, `nodejs`, `/usr/bin/node`, `/opt/node-v24/bin/node`. */
export function isNodeBinary(path: string): boolean {
  return /^node(?:js)?\d*$/.test(basename(path));
}

/** null when the value is empty. */
export function parseExecStart(value: string): ParsedExecStart | null {
  const trimmed = value.trim();
  const prefix = /^[-@:+!]*/.exec(trimmed)?.[0] ?? '';
  const body = trimmed.slice(prefix.length);
  const words = [...body.matchAll(WORD)].map((match) => ({ text: unquote(match[0]), end: (match.index ?? 0) + match[0].length }));
  const first = words[0];
  if (first === undefined) return null;
  const parsed: ParsedExecStart = { prefix, program: first.text };
  // With `@` the second word is argv[0], not an argument: too unusual to rewrite safely.
  if (prefix.includes('@')) return parsed;
  if (isOpenclawScript(first.text)) {
    parsed.openclaw = { binary: [first.text], rest: body.slice(first.end) };
    return parsed;
  }
  const second = words[1];
  if (isNodeBinary(first.text) && second !== undefined && isOpenclawScript(second.text)) {
    parsed.openclaw = { binary: [first.text, second.text], rest: body.slice(second.end) };
  }
  return parsed;
}

/**
 * The ExecStart value systemd runs, from `systemctl cat <unit>` text (unit file plus drop-ins, in
 * the order systemd applies them): an empty `ExecStart=` resets the list; the last one counts.
 */
export function execStartFromUnitText(text: string): string | undefined {
  return lastDirective(text, 'ExecStart');
}

/** Same for `ExecReload=`. */
export function execReloadFromUnitText(text: string): string | undefined {
  return lastDirective(text, 'ExecReload');
}

function lastDirective(text: string, key: string): string | undefined {
  let value: string | undefined;
  // A line ending in a backslash continues on the next one.
  const lines = text.replace(/\\\r?\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('#') || line.startsWith(';')) continue;
    const match = new RegExp(`^${key}\\s*=\\s*(.*)$`).exec(line);
    if (!match) continue;
    const found = (match[1] ?? '').trim();
    value = found === '' ? undefined : found;
  }
  return value;
}
