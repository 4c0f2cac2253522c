/**
 * Dispatches a `clawops` command line and is the one place errors become exit codes:
 * 0 done, 2 bad input or config (message only, no stack), 1 anything else. An unexpected
 * error gets one short line; its stack goes to the log.
 */
import { ClawopsError, isClawopsError, type ClawopsErrorCode } from '../errors.js';
import type { LoadConfigOptions } from '../config/load.js';
import type { ClawopsConfig } from '../config/schema.js';
import { ALL_SECRET_SECTIONS, deferredSecrets } from '../config/secret-sections.js';
import { formatProblem } from '../config/format-issues.js';
import { COMMANDS } from './command-list.js';
import { commandHelp, findCommand, generalHelp, groupHelp } from './registry.js';
import type { CliCommandSpec, CliContext } from './types.js';

/** What `runCli` needs; main.ts passes the real process's. */
export interface CliDeps extends Omit<CliContext, 'configFile' | 'loadConfig'> {
  loadConfig(options: LoadConfigOptions): Promise<ClawopsConfig>;
  /** Defaults to the real command list; tests pass their own. */
  commands?: readonly CliCommandSpec[];
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Errors caused by what the user typed or wrote in the config: exit 2. */
const INPUT_ERRORS: ReadonlySet<ClawopsErrorCode> = new Set<ClawopsErrorCode>([
  'CONFIG_INVALID', 'CONFIG_NOT_FOUND', 'COMMAND_INVALID', 'UNKNOWN_ENVIRONMENT', 'UNKNOWN_HOST', 'NOT_FOUND',
]);

export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  try {
    return await dispatch(argv, deps);
  } catch (error) {
    return reportError(error, deps);
  }
}

async function dispatch(argv: readonly string[], deps: CliDeps): Promise<number> {
  const commands = deps.commands ?? COMMANDS;
  const globals = parseGlobalOptions(argv);
  const { help, rest } = globals;
  let configFile = globals.configFile;

  if (rest[0] === 'help' || (help && rest.length === 0)) return showHelp(rest.slice(rest[0] === 'help' ? 1 : 0), commands, deps);
  if (rest.length === 0) {
    deps.stderr.write(`clawops: no command given\n\n${generalHelp(commands)}`);
    return EXIT_USAGE;
  }

  const lookup = findCommand(commands, rest);
  if (lookup.kind === 'group') {
    deps.stderr.write(`clawops ${lookup.prefix.join(' ')}: choose a command\n\n${groupHelp(lookup.prefix, lookup.choices)}`);
    return EXIT_USAGE;
  }
  if (lookup.kind === 'unknown') {
    deps.stderr.write(`clawops: unknown command "${lookup.words.join(' ') || rest[0]}"; run \`clawops help\` for the list\n`);
    return EXIT_USAGE;
  }
  // `--config FILE` may also follow the command (`clawops config check --config x.yml`).
  const { configFile: trailingConfig, args } = extractConfigOption(lookup.rest);
  configFile = trailingConfig ?? configFile;
  if (help || wantsHelp(args)) {
    deps.stdout.write(commandHelp(lookup.spec));
    return EXIT_OK;
  }

  const context: CliContext = {
    stdout: deps.stdout,
    stderr: deps.stderr,
    env: deps.env,
    cwd: deps.cwd,
    signal: deps.signal,
    logger: deps.logger,
    configFile,
    loadConfig: async (request = {}) => {
      const needs = request.needs ?? lookup.spec.secrets ?? ALL_SECRET_SECTIONS;
      const config = await deps.loadConfig({ file: request.file ?? configFile, env: deps.env, cwd: deps.cwd, signal: deps.signal, needs });
      // From here on the config decides how much is logged.
      deps.logger.level = config.log.level;
      const unused = deferredSecrets(config).map(formatProblem);
      if (unused.length > 0) deps.logger.debug({ unused }, 'secrets this command does not use are unset');
      return config;
    },
  };
  const module = await lookup.spec.load();
  const name = `clawops ${lookup.spec.path.join(' ')}`;
  try {
    return await module.run(args, context);
  } catch (error) {
    if (!isClawopsError(error, 'COMMAND_INVALID')) throw error;
    throw new ClawopsError('COMMAND_INVALID', `${lookup.spec.path.join(' ')}: ${error.message} (see \`${name} --help\`)`, error.details, { cause: error });
  }
}

function showHelp(topic: string[], commands: readonly CliCommandSpec[], deps: CliDeps): number {
  if (topic.length === 0) {
    deps.stdout.write(generalHelp(commands));
    return EXIT_OK;
  }
  const lookup = findCommand(commands, topic);
  if (lookup.kind === 'command' && lookup.rest.length === 0) {
    deps.stdout.write(commandHelp(lookup.spec));
    return EXIT_OK;
  }
  if (lookup.kind === 'group' && lookup.prefix.length === topic.length) {
    deps.stdout.write(groupHelp(lookup.prefix, lookup.choices));
    return EXIT_OK;
  }
  deps.stderr.write(`clawops help: no command "${topic.join(' ')}"; run \`clawops help\` for the list\n`);
  return EXIT_USAGE;
}

/** Options before the command word: `--config FILE`, `--config=FILE`, `-c FILE`, `--help`. */
function parseGlobalOptions(argv: readonly string[]): { configFile: string | undefined; help: boolean; rest: string[] } {
  let configFile: string | undefined;
  let help = false;
  let index = 0;
  for (; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (!arg.startsWith('-')) break;
    if (arg === '--') {
      index += 1;
      break;
    }
    const option = configOptionAt(argv, index);
    if (arg === '-h' || arg === '--help') {
      help = true;
    } else if (option) {
      configFile = option.file;
      index = option.last;
    } else {
      throw new ClawopsError('COMMAND_INVALID', `unknown option ${arg}; run \`clawops help\``);
    }
  }
  return { configFile, help, rest: argv.slice(index) };
}

function extractConfigOption(args: readonly string[]): { configFile: string | undefined; args: string[] } {
  let configFile: string | undefined;
  const kept: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    if (arg === '--') {
      kept.push(...args.slice(index));
      break;
    }
    const option = configOptionAt(args, index);
    if (option) {
      configFile = option.file;
      index = option.last;
    } else {
      kept.push(arg);
    }
  }
  return { configFile, args: kept };
}

function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** Prints an error the way a person should see it and returns the exit code. */
export function reportError(error: unknown, deps: Pick<CliDeps, 'stderr' | 'logger'>): number {
  if (isClawopsError(error)) {
    deps.stderr.write(`clawops: ${error.message}\n`);
    return INPUT_ERRORS.has(error.code) ? EXIT_USAGE : EXIT_FAILURE;
  }
  const summary = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0] ?? ''}` : String(error);
  deps.stderr.write(`clawops: internal error: ${summary} (details in the log)\n`);
  deps.logger.error({ err: error }, 'internal error');
  return EXIT_FAILURE;
}

interface ConfigOption {
  file: string;
  /** Index of the last word the option used. */
  last: number;
}

/** `--config FILE`, `-c FILE` or `--config=FILE` at `index`, wherever it stands on the line. */
function configOptionAt(args: readonly string[], index: number): ConfigOption | undefined {
  const arg = args[index] ?? '';
  if (arg.startsWith('--config=')) return { file: arg.slice('--config='.length), last: index };
  if (arg !== '-c' && arg !== '--config') return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('-')) throw new ClawopsError('COMMAND_INVALID', `${arg} needs a file: ${arg} FILE`);
  return { file: value, last: index + 1 };
}
