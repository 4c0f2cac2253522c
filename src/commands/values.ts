/**
 * zod schemas for the values inside a command: versions, names, ids, times. Each failure says
 * what was typed and what would work, since the person reading it is in a chat box.
 */
import semver from 'semver';
import { z } from 'zod';
import { NAME_PATTERN, STRATEGY_KINDS } from '../config/schema.js';
import { COMMAND_NAMES } from './grammar.js';
import { closest } from './suggest.js';

export const MAX_HOSTS = 100;
export const MAX_NAME_LENGTH = 63;
export const MAX_ID_LENGTH = 128;
export const MAX_TIME_LENGTH = 100;
const MAX_VERSION_LENGTH = 100;
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** A user's text inside a message: quoted, shortened if long. */
export function show(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
}

type Check<T> = { ok: true; value: T } | { ok: false; message: string };

/** A zod schema over a string whose check returns either the value or the message to show. */
function checked<T>(check: (raw: string) => Check<T>) {
  return z.string().transform((raw, ctx) => {
    const result = check(raw);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.message });
    return z.NEVER;
  });
}

const VERSION_EXAMPLES = 'e.g. 1.3.0, 2026.9.6 or latest';

/** An exact semver version, normalized (`v1.3.0` → `1.3.0`), or `latest` when allowed. */
export function checkVersion(raw: string, allowLatest = true): Check<string> {
  if (raw.toLowerCase() === 'latest') {
    return allowLatest ? { ok: true, value: 'latest' } : { ok: false, message: 'latest is not allowed here: give an exact version, e.g. 2026.9.5' };
  }
  if (raw === '') return { ok: false, message: `the version is empty; ${VERSION_EXAMPLES}` };
  if (raw.length > MAX_VERSION_LENGTH) return { ok: false, message: `${show(raw)} is too long for a version; ${VERSION_EXAMPLES}` };
  const body = raw.replace(/^[vV](?=\d)/, '');
  if (/^\d+(\.\d+)?$/.test(body)) {
    const parts = body.split('.');
    const full = [...parts, '0', '0'].slice(0, 3).join('.');
    return { ok: false, message: `${show(raw)} is not a complete version: give major.minor.patch, e.g. ${full}` };
  }
  const valid = semver.valid(body);
  if (valid !== null && body.includes('+')) {
    return { ok: false, message: `${show(raw)} has build metadata, which npm ignores: give ${valid}` };
  }
  if (valid !== null && valid === body) return { ok: true, value: valid };
  if (semver.validRange(raw) !== null) {
    return { ok: false, message: `${show(raw)} is a version range; give one exact version, ${VERSION_EXAMPLES}` };
  }
  return { ok: false, message: `${show(raw)} is not a version; ${VERSION_EXAMPLES}` };
}

export function versionValue(allowLatest = true) {
  return checked((raw) => checkVersion(raw, allowLatest));
}

/** An environment or host name as the config spells them (NAME_PATTERN). */
export function checkName(raw: string, what: 'environment' | 'host'): Check<string> {
  if (raw === '') return { ok: false, message: `the ${what} name is empty` };
  if (raw.length > MAX_NAME_LENGTH) return { ok: false, message: `the ${what} name ${show(raw)} is too long (at most ${MAX_NAME_LENGTH} characters)` };
  if (NAME_PATTERN.test(raw)) return { ok: true, value: raw };
  const lower = raw.toLowerCase();
  if (NAME_PATTERN.test(lower)) return { ok: false, message: `${what} names are lowercase: did you mean ${lower}?` };
  return { ok: false, message: `${show(raw)} is not a valid ${what} name: use lowercase letters, digits and dashes, starting with a letter or digit` };
}

export const environmentValue = checked((raw) => checkName(raw, 'environment'));

export const hostsValue = checked((raw): Check<string[]> => {
  const names = raw.split(',').map((name) => name.trim());
  if (names.every((name) => name === '')) return { ok: false, message: '--hosts needs host names separated by commas, e.g. --hosts gw-1,gw-2' };
  if (names.length > MAX_HOSTS) return { ok: false, message: `--hosts lists ${names.length} hosts; at most ${MAX_HOSTS} fit in one command` };
  const seen = new Set<string>();
  for (const name of names) {
    if (name === '') return { ok: false, message: `--hosts ${show(raw)} has an empty name: separate host names with single commas` };
    const checkedName = checkName(name, 'host');
    if (!checkedName.ok) return { ok: false, message: `--hosts: ${checkedName.message}` };
    if (seen.has(name)) return { ok: false, message: `--hosts lists ${name} twice` };
    seen.add(name);
  }
  return { ok: true, value: [...seen] };
});

export function idValue(what: string) {
  return checked((raw): Check<string> => {
    if (raw.length > MAX_ID_LENGTH || !ID_PATTERN.test(raw)) {
      return { ok: false, message: `${show(raw)} is not a valid ${what}: use letters, digits, dots, dashes, underscores or colons` };
    }
    return { ok: true, value: raw };
  });
}

type Strategy = (typeof STRATEGY_KINDS)[number];

export const strategyValue = checked((raw): Check<Strategy> => {
  const lower = raw.toLowerCase();
  const found = STRATEGY_KINDS.find((kind) => kind === lower);
  if (found !== undefined) return { ok: true, value: found };
  const guess = closest(lower, STRATEGY_KINDS);
  return { ok: false, message: `unknown strategy ${show(raw)}${guess === undefined ? '' : ` (did you mean ${guess}?)`}; expected one of ${STRATEGY_KINDS.join(', ')}` };
});

export const windowValue = checked((raw): Check<'next' | 'auto'> => {
  const lower = raw.toLowerCase();
  if (lower === 'next' || lower === 'auto') return { ok: true, value: lower };
  return { ok: false, message: `--window takes next or auto, not ${show(raw)}; for a specific time use --at <time>` };
});

/** Free text the scheduler interprets (it knows the clock and the team's time zone). */
export const timeValue = checked((raw): Check<string> => {
  const text = raw.trim().replace(/\s+/g, ' ');
  if (text.length > MAX_TIME_LENGTH) return { ok: false, message: `--at ${show(raw)} is too long for a time (at most ${MAX_TIME_LENGTH} characters)` };
  if (!/\d/.test(text)) return { ok: false, message: `--at ${show(raw)} is not a time; e.g. --at "2026-12-01 03:00 Europe/Berlin"` };
  return { ok: true, value: text };
});

/** A choice among a few words (`create|verify|list`), case-insensitive. */
export function actionValue<const A extends string>(command: string, actions: readonly A[]) {
  return checked((raw): Check<A> => {
    const lower = raw.toLowerCase();
    const found = actions.find((action) => action === lower);
    if (found !== undefined) return { ok: true, value: found };
    const guess = closest(lower, actions);
    const choices = `${actions.slice(0, -1).join(', ')} or ${actions.at(-1) ?? ''}`;
    return { ok: false, message: `unknown ${command} action ${show(raw)}${guess === undefined ? '' : ` (did you mean ${guess}?)`}; expected ${choices}` };
  });
}

export const topicValue = checked((raw): Check<string> => {
  const lower = raw.toLowerCase();
  const found = COMMAND_NAMES.find((name) => name === lower);
  if (found !== undefined) return { ok: true, value: found };
  const guess = closest(lower, COMMAND_NAMES);
  return { ok: false, message: `no help for ${show(raw)}: there is no such command${guess === undefined ? '' : ` (did you mean ${guess}?)`}. Try: ${COMMAND_NAMES.join(', ')}` };
});
