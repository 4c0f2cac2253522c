/** Finds the subcommand a command line selects, and writes the help texts. */
import type { CliCommandSpec } from './types.js';

/** The outcome of matching leading words against the command list. */
export type Lookup =
  | { kind: 'command'; spec: CliCommandSpec; rest: string[] }
  /** The words name a group (`clawops config`) but no command in it. */
  | { kind: 'group'; prefix: string[]; choices: CliCommandSpec[] }
  | { kind: 'unknown'; words: string[] };

/** The longest command path that prefixes `args` wins, so `discord register` and `discord` can coexist. */
export function findCommand(specs: readonly CliCommandSpec[], args: readonly string[]): Lookup {
  let best: CliCommandSpec | undefined;
  for (const spec of specs) {
    const matches = spec.path.every((word, index) => args[index] === word);
    if (matches && spec.path.length > (best?.path.length ?? 0)) best = spec;
  }
  if (best) return { kind: 'command', spec: best, rest: args.slice(best.path.length) };

  const words = leadingWords(args);
  for (let length = words.length; length > 0; length -= 1) {
    const prefix = words.slice(0, length);
    const choices = specs.filter((spec) => spec.path.length > length && prefix.every((word, index) => spec.path[index] === word));
    if (choices.length > 0) return { kind: 'group', prefix, choices };
  }
  return { kind: 'unknown', words };
}

/** `clawops help`: every command with its summary. */
export function generalHelp(specs: readonly CliCommandSpec[]): string {
  const names = specs.map((spec) => spec.path.join(' '));
  const width = Math.max(...names.map((name) => name.length), 4);
  return [
    'Usage: clawops [--config FILE] <command> [options]',
    '',
    'Commands:',
    ...specs.map((spec, index) => `  ${(names[index] ?? '').padEnd(width)}  ${spec.summary}`),
    `  ${'help'.padEnd(width)}  Show this help, or a command's: clawops help <command>`,
    '',
    'Global options (before or after the command):',
    '  -c, --config FILE  The fleet config (default: $CLAWOPS_CONFIG, else ./clawops.yml)',
    '  -h, --help         Show help',
    '',
  ].join('\n');
}

/** `clawops help <command>` and `<command> --help`. */
export function commandHelp(spec: CliCommandSpec): string {
  return `${spec.summary}\n\n${spec.usage.trimEnd()}\n`;
}

/** `clawops config`: the commands the group holds. */
export function groupHelp(prefix: readonly string[], choices: readonly CliCommandSpec[]): string {
  const names = choices.map((spec) => `clawops ${spec.path.join(' ')}`);
  const width = Math.max(...names.map((name) => name.length));
  return [`Commands under "clawops ${prefix.join(' ')}":`, ...choices.map((spec, index) => `  ${(names[index] ?? '').padEnd(width)}  ${spec.summary}`), ''].join('\n');
}

function leadingWords(args: readonly string[]): string[] {
  const words: string[] = [];
  for (const arg of args) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  return words;
}
