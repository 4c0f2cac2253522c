/**
 * The `clawops` command line: each subcommand is one module exporting `run`, listed once in
 * command-list.ts with the words that select it. Modules load only when chosen, so
 * `clawops config check` never pays for discord.js or BullMQ.
 */
import type { ClawopsConfig } from '../config/schema.js';
import type { Env } from '../config/load.js';
import type { SecretSection } from '../config/secret-sections.js';
import type { Logger } from '../log/logger.js';

/** Somewhere to write text (stdout, stderr, or a buffer in tests). */
export interface TextSink {
  write(text: string): unknown;
}

/** What a subcommand may use. main.ts wires the real things; tests pass their own. */
export interface CliContext {
  stdout: TextSink;
  stderr: TextSink;
  env: Env;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM: long-running subcommands stop cleanly when it fires. */
  signal: AbortSignal;
  /** `--config FILE` given before the subcommand, if any. */
  configFile: string | undefined;
  /** Loads and validates the config: `file`, else `--config`, else `CLAWOPS_CONFIG`, else ./clawops.yml. */
  loadConfig(request?: ConfigRequest): Promise<ClawopsConfig>;
  /** Logs to stderr (stdout is the command's output). */
  logger: Logger;
}

/** What a subcommand asks `loadConfig` for. */
export interface ConfigRequest {
  file?: string | undefined;
  /** Narrows the command's `secrets` for this run (`plan upgrade` reads no Redis, `plan rollback` does). */
  needs?: readonly SecretSection[];
}

/** A subcommand's body: `args` are the words after its name; the result is the exit code. */
export type CliRun = (args: string[], context: CliContext) => Promise<number>;

/** One entry of the command list. */
export interface CliCommandSpec {
  /** The words that select it, e.g. `['config', 'check']` or `['discord', 'register']`. */
  path: readonly string[];
  /** One line for `clawops help`. */
  summary: string;
  /** Usage and options, shown by `clawops help <command>` and `<command> --help`. */
  usage: string;
  /**
   * The config sections whose `${VAR}` secrets the command uses (default: all). An unset variable
   * there stops it before it starts; one elsewhere does not (see src/config/secret-sections.ts).
   */
  secrets?: readonly SecretSection[];
  load(): Promise<{ run: CliRun }>;
}
