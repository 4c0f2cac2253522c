/**
 * `${ENV_VAR}` interpolation, allowed only in the fields that hold secrets, so that tokens stay
 * out of the file while everything else in it means what it says. Pure: the environment is passed in.
 */
import { formatPath, type RawProblem } from './format-issues.js';

/** Paths (dotted, as `formatPath` prints them) whose string values may contain `${VAR}`. */
export const SECRET_PATHS: readonly string[] = [
  'chat.slack.botToken',
  'chat.slack.signingSecret',
  'chat.slack.appToken',
  'chat.discord.token',
  'redis.url',
];

const REFERENCE = /\$\{([^}]*)\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The document with secrets filled in. `problems` are mistakes in the file (a misplaced or malformed
 * reference); `unresolved` has one entry per variable that is unset or empty, kept apart because
 * whether it matters depends on the command (see secret-sections.ts). Unresolved text stays as written.
 */
export interface InterpolationResult {
  value: unknown;
  problems: RawProblem[];
  unresolved: RawProblem[];
}

/** Environment as `process.env` has it. */
export type Env = Readonly<Record<string, string | undefined>>;

export function interpolateSecrets(document: unknown, env: Env): InterpolationResult {
  const problems: RawProblem[] = [];
  const unresolved: RawProblem[] = [];
  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string') return interpolateString(value, path);
    if (Array.isArray(value)) return value.map((item: unknown, index) => walk(item, [...path, index]));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return value;
  };
  const interpolateString = (text: string, path: (string | number)[]): string => {
    const references = [...text.matchAll(REFERENCE)];
    if (references.length === 0) return text;
    const where = formatPath(path);
    if (!SECRET_PATHS.includes(where)) {
      problems.push({ at: path, message: `${references.map((match) => match[0]).join(', ')} is not replaced here: environment variables are read only in secret fields (${SECRET_PATHS.join(', ')}); write the value itself` });
      return text;
    }
    return text.replace(REFERENCE, (whole, name: string) => {
      if (!VARIABLE_NAME.test(name)) {
        problems.push({ at: path, message: `${JSON.stringify(whole)} is not a valid variable reference (use \${NAME} with letters, digits and _)` });
        return whole;
      }
      const resolved = env[name];
      if (resolved === undefined || resolved === '') {
        unresolved.push({ at: path, message: `environment variable ${name} is ${resolved === undefined ? 'not set' : 'empty'}` });
        return whole;
      }
      return resolved;
    });
  };
  return { value: walk(document, []), problems, unresolved };
}
