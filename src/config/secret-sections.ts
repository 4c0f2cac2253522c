/**
 * Secrets only where used: each command names the config sections whose secrets it needs, so a
 * read-only `clawops plan` runs without the Slack token and a worker without the Discord one. An
 * unresolved `${VAR}` in a section the command needs is a config error, as before; elsewhere it is
 * deferred: the rest of the section is still validated, and reading the field anyway throws
 * naming the variable, rather than handing a literal `${VAR}` to a Slack or Redis client.
 */
import { ClawopsError } from '../errors.js';
import { formatPath, type ConfigProblem, type RawProblem } from './format-issues.js';

/** The config sections that hold secrets (every path in SECRET_PATHS lies in one of them). */
export type SecretSection = 'chat.slack' | 'chat.discord' | 'redis';

export const ALL_SECRET_SECTIONS: readonly SecretSection[] = ['chat.slack', 'chat.discord', 'redis'];

/**
 * What a deferred field holds while the schema checks its section: it passes every secret field's
 * own check (a non-empty token, a redis:// URL), so only the rest of the section is judged.
 */
const STAND_IN = 'redis://unresolved-secret.invalid';

/** The section of a secret field's path, e.g. `chat.slack` for `chat.slack.botToken`. */
export function sectionOf(path: string): SecretSection {
  const section = ALL_SECRET_SECTIONS.find((name) => path === name || path.startsWith(`${name}.`));
  if (section === undefined) throw new Error(`${path} is not in a secret section`);
  return section;
}

/** Unresolved variables split into those the command needs (errors) and the rest (deferred). */
export function partitionUnresolved(unresolved: readonly RawProblem[], needs: readonly SecretSection[]): { required: RawProblem[]; deferred: RawProblem[] } {
  const required = unresolved.filter((problem) => needs.includes(sectionOf(formatPath(problem.at))));
  return { required, deferred: unresolved.filter((problem) => !required.includes(problem)) };
}

/** Puts the stand-in into each deferred field of `document`, a tree fresh from interpolation. */
export function putStandIns(document: unknown, deferred: readonly RawProblem[]): void {
  for (const problem of deferred) {
    const { parent, key } = locate(document, problem.at);
    parent[key] = STAND_IN;
  }
}

/**
 * Replaces each deferred field of the validated (not yet frozen) config by a getter that throws,
 * and keeps `report` (the same problems, placed in the file) for `deferredSecrets`.
 */
export function guardDeferred(config: object, deferred: readonly RawProblem[], report: readonly ConfigProblem[]): void {
  const messages = new Map<string, { at: readonly PropertyKey[]; messages: string[] }>();
  for (const problem of deferred) {
    const path = formatPath(problem.at);
    const field = messages.get(path) ?? { at: problem.at, messages: [] };
    field.messages.push(problem.message);
    messages.set(path, field);
  }
  for (const [path, field] of messages) {
    const { parent, key } = locate(config, field.at);
    Object.defineProperty(parent, key, {
      enumerable: true,
      get() {
        throw new ClawopsError('CONFIG_INVALID', `${path}: ${field.messages.join('; ')}`, { path });
      },
    });
  }
  unresolvedByConfig.set(config, report);
}

const unresolvedByConfig = new WeakMap<object, readonly ConfigProblem[]>();

/** The secrets left unresolved in `config` because the command that loaded it does not need them. */
export function deferredSecrets(config: object): readonly ConfigProblem[] {
  return unresolvedByConfig.get(config) ?? [];
}

function locate(root: unknown, at: readonly PropertyKey[]): { parent: Record<PropertyKey, unknown>; key: PropertyKey } {
  const key = at.at(-1);
  let parent: unknown = root;
  for (const part of at.slice(0, -1)) parent = (parent as Record<PropertyKey, unknown> | undefined)?.[part];
  if (key === undefined || typeof parent !== 'object' || parent === null) throw new Error(`no field at ${formatPath(at)}`);
  return { parent: parent as Record<PropertyKey, unknown>, key };
}
