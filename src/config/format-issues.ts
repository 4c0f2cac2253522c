/**
 * Turns zod issues into the lines a person fixing `clawops.yml` reads, e.g.
 * `environments.production.hosts[1].port: expected a number, got "22a"`. Pure: no I/O.
 *
 * `describeIssue` is a per-parse zod error map: zod gives messages written in the schema
 * precedence over it, so custom messages survive and only zod's generic ones are replaced.
 */
import type { z } from 'zod';

/**
 * One thing wrong with the config: where (a dotted path with `[i]` indices, or `file:line:col`
 * for YAML syntax), what, and the line of the YAML node concerned when it is known.
 */
export interface ConfigProblem {
  path: string;
  message: string;
  line?: number;
}

/** A problem before it is placed in the file: `at` is the path as zod and the YAML document index it. */
export interface RawProblem {
  at: readonly PropertyKey[];
  message: string;
  /** The node whose line to show, when more precise than `at` (the unknown key itself). */
  lineAt?: readonly PropertyKey[];
}

/** `path: message (line N)`, the form every config problem is printed in. */
export function formatProblem(problem: ConfigProblem): string {
  const text = problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`;
  return problem.line === undefined ? text : `${text} (line ${problem.line})`;
}

/** `environments.production.hosts[1].port`; keys that are not plain words are quoted: `env["a b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$-]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/**
 * A zod error (parsed with `describeIssue` and `reportInput: true`) as problems. A string that
 * failed a check written with its own message gets the value appended, as zod's generic ones have.
 */
export function problemsFromZodError(error: z.ZodError): RawProblem[] {
  return error.issues.map((issue) => {
    const input = (issue as { input?: unknown }).input;
    const showsInput = (issue.code === 'invalid_format' || issue.code === 'custom') && typeof input === 'string' && !issue.message.includes(', got ');
    const message = showsInput ? `${issue.message}, got ${showValue(input)}` : issue.message;
    const firstKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    return firstKey === undefined ? { at: issue.path, message } : { at: issue.path, message, lineAt: [...issue.path, firstKey] };
  });
}

type RawIssue = z.core.$ZodRawIssue;

/** The zod error map used by the loader; pass as `safeParse(value, { error: describeIssue, reportInput: true })`. */
export const describeIssue: z.core.$ZodErrorMap = (issue) => describe(issue);

function describe(issue: RawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `required: expected ${typeName(String(issue.expected))}`
        : `expected ${typeName(String(issue.expected))}, got ${showValue(issue.input)}`;
    case 'invalid_value':
      return expectedOneOf(issue.values.map((value) => String(value)), issue.input);
    case 'invalid_union':
      return describeUnion(issue);
    case 'too_small':
      return describeBound(issue.origin, Number(issue.minimum), issue.inclusive !== false, 'min', issue.input);
    case 'too_big':
      return describeBound(issue.origin, Number(issue.maximum), issue.inclusive !== false, 'max', issue.input);
    case 'invalid_format':
      return describeFormat(issue);
    case 'unrecognized_keys':
      return issue.keys.length === 1
        ? `unknown key "${issue.keys[0] ?? ''}" (check its spelling and indentation)`
        : `unknown keys ${issue.keys.map((key) => `"${key}"`).join(', ')} (check their spelling and indentation)`;
    case 'invalid_key':
      return `invalid key ${showValue(issue.input)}: ${issue.issues.map((inner) => inner.message).join('; ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}, got ${showValue(issue.input)}`;
    case 'invalid_element':
      return `invalid element: ${issue.issues.map((inner) => inner.message).join('; ')}`;
    default:
      return 'invalid value';
  }
}

function describeUnion(issue: Extract<RawIssue, { code: 'invalid_union' }>): string {
  const raw = issue as RawIssue & { discriminator?: unknown; options?: unknown };
  if (typeof raw.discriminator === 'string' && Array.isArray(raw.options)) {
    // zod already points the path at the discriminator key; the input is the whole object.
    const input = issue.input;
    const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[raw.discriminator] : undefined;
    return expectedOneOf(raw.options.map((option) => String(option)), value);
  }
  const branches = issue.errors
    .map((branch) => branch[0]?.message)
    .filter((message): message is string => message !== undefined);
  const unique = [...new Set(branches)];
  return unique.length > 0 ? unique.join(', or ') : `matches none of the allowed forms, got ${showValue(issue.input)}`;
}

function expectedOneOf(values: readonly string[], input: unknown): string {
  const allowed = values.length === 1 ? `${values[0] ?? ''}` : `one of ${values.join(', ')}`;
  return input === undefined ? `required: expected ${allowed}` : `expected ${allowed}, got ${showValue(input)}`;
}

function describeBound(origin: string, limit: number, inclusive: boolean, side: 'min' | 'max', input: unknown): string {
  if (origin === 'array' || origin === 'set') {
    if (side === 'min' && limit === 1 && inclusive) return 'must not be empty';
    return `${side === 'min' ? 'needs at least' : 'allows at most'} ${inclusive ? limit : side === 'min' ? limit + 1 : limit - 1} ${plural(limit, 'item')}`;
  }
  if (origin === 'string') {
    if (side === 'min' && limit === 1 && inclusive) return 'must not be empty';
    return `must be ${side === 'min' ? 'at least' : 'at most'} ${limit} ${plural(limit, 'character')} long`;
  }
  const relation = side === 'min' ? (inclusive ? 'at least' : 'greater than') : (inclusive ? 'at most' : 'less than');
  return `must be ${relation} ${limit}, got ${showValue(input)}`;
}

function describeFormat(issue: Extract<RawIssue, { code: 'invalid_format' }>): string {
  const got = `got ${showValue(issue.input)}`;
  switch (issue.format) {
    case 'url':
      return `expected an http(s) URL, ${got}`;
    case 'regex':
      return `does not match ${String((issue as { pattern?: unknown }).pattern ?? 'the expected pattern')}, ${got}`;
    case 'includes':
      return `must contain "${String((issue as { includes?: unknown }).includes ?? '')}", ${got}`;
    case 'starts_with':
      return `must start with "${String((issue as { prefix?: unknown }).prefix ?? '')}", ${got}`;
    case 'ends_with':
      return `must end with "${String((issue as { suffix?: unknown }).suffix ?? '')}", ${got}`;
    default:
      return `expected ${issue.format === 'email' ? 'an email address' : `a ${issue.format}`}, ${got}`;
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  record: 'a mapping (key: value)',
  null: 'null',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** How a received value is shown: strings quoted, structures by kind (they can be long, or secret). */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}

function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}
