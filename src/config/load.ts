/**
 * Reads `clawops.yml`: YAML → secret interpolation → `configSchema` → `~/` expansion of local
 * paths → deep freeze. Every problem in the file is collected and reported in one ClawopsError.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ClawopsError } from '../errors.js';
import { configSchema, type ClawopsConfig } from './schema.js';
import { describeIssue, formatPath, formatProblem, problemsFromZodError, type ConfigProblem, type RawProblem } from './format-issues.js';
import { interpolateSecrets, SECRET_PATHS, type Env } from './interpolate.js';
import { deepFreeze } from './freeze.js';
import { ALL_SECRET_SECTIONS, guardDeferred, partitionUnresolved, putStandIns, type SecretSection } from './secret-sections.js';

export type { Env } from './interpolate.js';

/** The file used when neither `--config` nor `CLAWOPS_CONFIG` names one. */
export const DEFAULT_CONFIG_FILE = 'clawops.yml';

/** Top-level keys with this prefix are ignored, so they can hold YAML anchors. */
export const EXTENSION_PREFIX = 'x-';

/** Where the config comes from and what it may read. */
export interface LoadConfigOptions {
  /** `--config FILE`; wins over `CLAWOPS_CONFIG`. */
  file?: string | undefined;
  /** The process environment: `CLAWOPS_CONFIG`, `HOME`, and the variables secrets refer to. */
  env: Env;
  /** Base for a relative file; default: the process's working directory. */
  cwd?: string;
  /** The local home directory `~/` expands to in local paths; default: `env.HOME`, else the OS's. */
  home?: string;
  /** The sections whose secrets must resolve (default: all); see secret-sections.ts. */
  needs?: readonly SecretSection[] | undefined;
  signal?: AbortSignal;
}

/** The absolute path of the config file these options select. */
export function resolveConfigPath(options: Pick<LoadConfigOptions, 'file' | 'env' | 'cwd'>): string {
  const chosen = nonEmpty(options.file) ?? nonEmpty(options.env['CLAWOPS_CONFIG']) ?? DEFAULT_CONFIG_FILE;
  return resolve(options.cwd ?? process.cwd(), chosen);
}

/**
 * Reads and validates the config. Throws ClawopsError `CONFIG_NOT_FOUND` (with the path tried)
 * or `CONFIG_INVALID` (details.problems lists every problem). The result is deeply frozen; a secret
 * outside `needs` may be left unresolved (listed by `deferredSecrets`, throws when read).
 */
export async function loadConfig(options: LoadConfigOptions): Promise<ClawopsConfig> {
  const file = resolveConfigPath(options);
  let text: string;
  try {
    text = await readFile(file, { encoding: 'utf8', ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    throw translateReadError(error, file);
  }
  const home = options.home ?? nonEmpty(options.env['HOME']) ?? homedir();
  return parseConfig(text, { env: options.env, file, home, ...(options.needs ? { needs: options.needs } : {}) });
}

/** Options for `parseConfig`: `file` only names the source in messages. */
export interface ParseConfigOptions {
  env: Env;
  home: string;
  file?: string;
  needs?: readonly SecretSection[];
}

/** Validates config text (YAML) without touching the file system; same errors and result as `loadConfig`. */
export function parseConfig(text: string, options: ParseConfigOptions): ClawopsConfig {
  const file = options.file ?? DEFAULT_CONFIG_FILE;
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: true, lineCounter, uniqueKeys: true, merge: true });
  if (document.errors.length > 0) {
    throw invalid(file, document.errors.map((error) => {
      const position = error.linePos?.[0];
      return {
        path: position ? `${file}:${position.line}:${position.col}` : file,
        message: (error.message.split('\n')[0] ?? error.code).replace(/ at line \d+, column \d+:?$/, ''),
      };
    }));
  }
  const raw: unknown = document.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) {
    throw invalid(file, [{ path: '', message: 'the file is empty; it needs at least `environments` (see clawops.example.yml)' }]);
  }

  const interpolated = interpolateSecrets(withoutExtensions(raw), options.env);
  const { required, deferred } = partitionUnresolved(interpolated.unresolved, options.needs ?? ALL_SECRET_SECTIONS);
  putStandIns(interpolated.value, deferred);
  const parsed = configSchema.safeParse(interpolated.value, { error: describeIssue, reportInput: true });
  const flagged = new Set([...interpolated.problems, ...required].map((problem) => formatPath(problem.at)));
  const rawProblems = [
    ...interpolated.problems,
    ...required,
    // A field whose variable is unset already has its problem; the schema's view of `${X}` adds nothing.
    ...(parsed.success ? [] : problemsFromZodError(parsed.error).filter((problem) => !flagged.has(formatPath(problem.at)))),
  ];
  if (rawProblems.length > 0 || !parsed.success) {
    throw invalid(file, place(rawProblems, document, lineCounter));
  }
  const config = expandLocalPaths(parsed.data, options.home);
  guardDeferred(config, deferred, place(deferred, document, lineCounter));
  return deepFreeze(config);
}

/** Top-level `x-…` keys are ignored (as in Compose files): a place for YAML anchors such as `x-host: &host`. */
function withoutExtensions(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  return Object.fromEntries(Object.entries(raw).filter(([key]) => !key.startsWith(EXTENSION_PREFIX)));
}

/** Problems with their YAML line, sorted in file order so they read top to bottom. */
function place(problems: RawProblem[], document: Document, lineCounter: LineCounter): ConfigProblem[] {
  const located = problems.map((problem, order) => {
    const path = formatPath(problem.at);
    const line = lineOf(document, lineCounter, problem.lineAt ?? problem.at);
    const message = SECRET_PATHS.includes(path) ? hideValue(problem.message) : problem.message;
    return { problem: { path: path === '' ? '(top level)' : path, message, ...(line === undefined ? {} : { line }) }, order };
  });
  located.sort((a, b) => (a.problem.line ?? Infinity) - (b.problem.line ?? Infinity) || a.order - b.order);
  return located.map((entry) => entry.problem);
}

/** The line of the node at `at`, or of its nearest ancestor present in the file (a missing key). */
function lineOf(document: Document, lineCounter: LineCounter, at: readonly PropertyKey[]): number | undefined {
  for (let length = at.length; length > 0; length -= 1) {
    const node: unknown = document.getIn(at.slice(0, length), true);
    const range = (node as { range?: unknown } | undefined)?.range;
    if (Array.isArray(range) && typeof range[0] === 'number') return lineCounter.linePos(range[0]).line;
  }
  return undefined;
}

/** Never echo a secret field's value back: it may be a real token. */
function hideValue(message: string): string {
  return message.replace(/, got .*$/, ', got a value that is not shown (secret field)');
}

function invalid(file: string, problems: ConfigProblem[]): ClawopsError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new ClawopsError('CONFIG_INVALID', [`${file}: ${count}:`, ...problems.map(formatProblem)].join('\n'), { file, problems });
}

function translateReadError(error: unknown, file: string): ClawopsError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ClawopsError('CONFIG_NOT_FOUND', `config file not found: ${file} (choose one with --config FILE or CLAWOPS_CONFIG)`, { file }, { cause: error });
  }
  if (code === 'ABORT_ERR') return new ClawopsError('ABORTED', `reading ${file} was aborted`, { file }, { cause: error });
  const reason = error instanceof Error ? error.message : String(error);
  return new ClawopsError('CONFIG_INVALID', `cannot read config file ${file}: ${reason}`, { file }, { cause: error });
}

/** `~/` in paths read on this machine (not on hosts) means the local user's home. */
function expandLocalPaths(config: ClawopsConfig, home: string): ClawopsConfig {
  if (!isAbsolute(home)) throw new ClawopsError('CONFIG_INVALID', `HOME is not an absolute path: ${JSON.stringify(home)}`);
  const expand = (path: string): string => (path.startsWith('~/') ? join(home, path.slice(2)) : path);
  const environments = Object.fromEntries(Object.entries(config.environments).map(([name, env]) => [name, {
    ...env,
    hosts: env.hosts.map((host) => ({ ...host, privateKeyPath: expand(host.privateKeyPath) })),
  }]));
  return { ...config, environments };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
