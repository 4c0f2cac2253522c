/**
 * One zod schema per command over its already-split arguments: positionals in order and the
 * options by name (a switch is `true`). Structure (arity, unknown or repeated options) is
 * checked before, from the grammar table; these schemas check values and combinations.
 */
import { z } from 'zod';
import type { Command, CommandKind } from './types.js';
import {
  actionValue, checkName, checkVersion, environmentValue, hostsValue, idValue, strategyValue, timeValue, topicValue,
  versionValue, windowValue,
} from './values.js';

/** A command's arguments after tokenizing and splitting. */
export interface Args {
  positionals: string[];
  options: Record<string, string | true>;
}

type CommandOf<K extends CommandKind> = Extract<Command, { kind: K }>;
type Schema<K extends CommandKind> = z.ZodType<CommandOf<K>>;

const flag = z.literal(true).optional();
const none = z.tuple([]);
const optionalEnv = z.tuple([environmentValue.optional()]);

/** `{ key: value }`, or `{}` when the value is undefined (exactOptionalPropertyTypes). */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function exclusive(a: string, b: string, why: string) {
  return (options: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (options[a] !== undefined && options[b] !== undefined) {
      ctx.addIssue({ code: 'custom', message: `--${a} and --${b} cannot be combined: ${why}` });
    }
  };
}

const upgrade: Schema<'upgrade'> = z.object({
  positionals: z.tuple([versionValue(), environmentValue.optional()]),
  options: z.object({
    strategy: strategyValue.optional(),
    hosts: hostsValue.optional(),
    at: timeValue.optional(),
    window: windowValue.optional(),
    'dry-run': flag,
    'skip-staging': flag,
  }).superRefine(exclusive('at', 'window', 'give either a time or a window')),
}).transform(({ positionals: [version, environment], options }) => ({
  kind: 'upgrade' as const,
  version,
  ...opt('environment', environment),
  ...opt('strategy', options.strategy),
  ...opt('hosts', options.hosts),
  ...opt('schedule', options.at !== undefined
    ? { kind: 'at' as const, text: options.at }
    : options.window !== undefined ? { kind: 'window' as const, which: options.window } : undefined),
  dryRun: options['dry-run'] === true,
  skipStaging: options['skip-staging'] === true,
}));

const rollback: Schema<'rollback'> = z.object({
  positionals: optionalEnv,
  options: z.object({
    to: versionValue(false).optional(),
    'from-backup': idValue('backup id').optional(),
    'with-staging': flag,
    'dry-run': flag,
  }).superRefine(exclusive('to', 'from-backup', 'a backup restores the version it was taken from')),
}).transform(({ positionals: [environment], options }) => ({
  kind: 'rollback' as const,
  ...opt('environment', environment),
  ...opt('toVersion', options.to),
  ...opt('fromBackup', options['from-backup']),
  ...opt('withStaging', options['with-staging']),
  dryRun: options['dry-run'] === true,
}));

function envOnly<K extends 'version' | 'check' | 'doctor' | 'history'>(kind: K): Schema<K> {
  return z.object({ positionals: optionalEnv, options: z.object({}) })
    .transform(({ positionals: [environment] }) => ({ kind, ...opt('environment', environment) }) as CommandOf<K>);
}

const status: Schema<'status'> = z.object({ positionals: none, options: z.object({}) })
  .transform(() => ({ kind: 'status' as const }));

const changelog: Schema<'changelog'> = z.object({
  positionals: z.tuple([versionValue(false), versionValue()]),
  options: z.object({}),
}).transform(({ positionals: [from, to] }) => ({ kind: 'changelog' as const, from, to }));

const backup: Schema<'backup'> = z.object({
  positionals: z.tuple([actionValue('backup', ['create', 'verify', 'list']), environmentValue.optional()]),
  options: z.object({}),
}).transform(({ positionals: [action, environment] }) => ({ kind: 'backup' as const, action, ...opt('environment', environment) }));

const schedule: Schema<'schedule'> = z.object({
  positionals: z.tuple([actionValue('schedule', ['list', 'cancel']), idValue('schedule id').optional()]),
  options: z.object({}),
}).superRefine(({ positionals: [action, id] }, ctx) => {
  if (action === 'list' && id !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'schedule list takes no id; to cancel a scheduled upgrade: schedule cancel <id>' });
  }
  if (action === 'cancel' && id === undefined) {
    ctx.addIssue({ code: 'custom', message: 'schedule cancel needs the id of the scheduled upgrade (see schedule list)' });
  }
}).transform(({ positionals: [action, id] }): CommandOf<'schedule'> =>
  action === 'cancel' ? { kind: 'schedule', action, id: id ?? '' } : { kind: 'schedule', action });

const cancel: Schema<'cancel'> = z.object({
  positionals: z.tuple([idValue('upgrade id')]),
  options: z.object({}),
}).transform(({ positionals: [upgradeId] }) => ({ kind: 'cancel' as const, upgradeId }));

const help: Schema<'help'> = z.object({
  positionals: z.tuple([topicValue.optional()]),
  options: z.object({}),
}).transform(({ positionals: [topic] }) => ({ kind: 'help' as const, ...opt('topic', topic) }));

export const COMMAND_SCHEMAS: { readonly [K in CommandKind]: Schema<K> } = {
  upgrade,
  rollback,
  status,
  version: envOnly('version'),
  check: envOnly('check'),
  changelog,
  backup,
  doctor: envOnly('doctor'),
  schedule,
  cancel,
  history: envOnly('history'),
  help,
};

/**
 * A better message than the schema's for a likely slip: `upgrade production 1.3.0` (the
 * environment first) would otherwise say "production is not a version".
 */
export function hint(kind: CommandKind, args: Args): string | undefined {
  if (kind !== 'upgrade') return undefined;
  const [first, second] = args.positionals;
  if (first === undefined || second === undefined) return undefined;
  const firstIsVersion = checkVersion(first).ok;
  const secondVersion = checkVersion(second);
  if (!firstIsVersion && secondVersion.ok && checkName(first, 'environment').ok) {
    return `put the version first: upgrade ${secondVersion.value} ${first}`;
  }
  return undefined;
}
