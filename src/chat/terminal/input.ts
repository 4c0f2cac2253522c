/** What a line typed into the terminal chat means. Pure. */

export type TerminalInput =
  | { kind: 'command'; text: string }
  | { kind: 'reaction'; message: number; reaction: string }
  | { kind: 'empty' }
  | { kind: 'invalid'; message: string };

export const TERMINAL_USAGE = 'type `/openclaw <command>` (e.g. `/openclaw help`), or react with `+1 ✅ 3` / `react 3 ✅` (3 = the message number in [brackets])';

export function parseTerminalLine(line: string): TerminalInput {
  const trimmed = line.trim();
  if (trimmed.length === 0) return { kind: 'empty' };
  const command = /^\/openclaw(?:\s+([\s\S]*))?$/i.exec(trimmed);
  if (command !== null) return { kind: 'command', text: (command[1] ?? '').trim() };
  const plusOne = /^\+1?\s+(\S+)\s+\[?(\d+)\]?$/.exec(trimmed);
  if (plusOne !== null) return reaction(plusOne[2], plusOne[1]);
  const react = /^react\s+\[?(\d+)\]?\s+(\S+)$/i.exec(trimmed);
  if (react !== null) return reaction(react[1], react[2]);
  if (trimmed.startsWith('/')) return { kind: 'invalid', message: `unknown slash command ${trimmed.split(/\s/)[0]}; ${TERMINAL_USAGE}` };
  return { kind: 'invalid', message: `not understood: ${trimmed}; ${TERMINAL_USAGE}` };
}

function reaction(number: string | undefined, emoji: string | undefined): TerminalInput {
  const message = Number(number);
  if (!Number.isSafeInteger(message) || message < 1 || emoji === undefined) return { kind: 'invalid', message: TERMINAL_USAGE };
  // `:white_check_mark:` and `white_check_mark` both mean the Slack-style name.
  return { kind: 'reaction', message, reaction: emoji.replace(/^:(.+):$/, '$1') };
}
