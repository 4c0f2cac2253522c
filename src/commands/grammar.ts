/**
 * The `/openclaw` command surface as data: one entry per command with its usage line, help
 * text, positional arguments and options. The parser's structural checks (arity, unknown or
 * duplicate options) and the help text both read this table, so they cannot drift apart.
 */
import type { CommandKind } from './types.js';

/** The word users type before a command in chat. */
export const COMMAND_PREFIX = '/openclaw';

/** An option (`--name` or `--name <value>`) a command accepts. */
export interface OptionSpec {
  /** Without the leading dashes. */
  name: string;
  /** Placeholder of the value the option takes; undefined for a switch like `--dry-run`. */
  value?: string;
}

/** One positional argument; required ones come first. */
export interface PositionalSpec {
  name: string;
  required: boolean;
  /** The reply when a required argument is missing. */
  missing?: string;
}

/** Everything the parser and the help need to know about one command. */
export interface CommandSpec {
  kind: CommandKind;
  /** The usage line, e.g. `/openclaw version [env]`. */
  usage: string;
  /** One sentence. */
  description: string;
  /** A complete command that works. */
  example: string;
  positionals: readonly PositionalSpec[];
  options: readonly OptionSpec[];
}

const ENV: PositionalSpec = { name: '[env]', required: false };

export const COMMAND_SPECS: readonly CommandSpec[] = [
  {
    kind: 'upgrade',
    usage: `${COMMAND_PREFIX} upgrade <version> [env] [--strategy pm2|systemd|blue-green|docker-compose|docker-swarm] [--hosts a,b] [--at <time> | --window next|auto] [--dry-run] [--skip-staging]`,
    description: 'Upgrade OpenClaw on an environment (staging first), now or in a maintenance window, with backups, health checks and approvals.',
    example: `${COMMAND_PREFIX} upgrade 2026.9.6 production --at "2026-12-01 03:00 Europe/Berlin"`,
    positionals: [
      { name: '<version>', required: true, missing: 'upgrade needs a version, e.g. 2026.9.6 or latest' },
      ENV,
    ],
    options: [
      { name: 'strategy', value: '<strategy>' },
      { name: 'hosts', value: '<a,b>' },
      { name: 'at', value: '<time>' },
      { name: 'window', value: 'next|auto' },
      { name: 'dry-run' },
      { name: 'skip-staging' },
    ],
  },
  {
    kind: 'rollback',
    usage: `${COMMAND_PREFIX} rollback [env] [--to <older version> | --from-backup <id>] [--with-staging] [--dry-run]`,
    description: 'Undo the last upgrade that changed the environment\'s hosts (even one aimed at another environment), '
      + 'back to the versions they ran before; --to goes to an older version, --from-backup restores a backup (ids: backup list), '
      + '--with-staging also rolls back the staging hosts that upgrade changed first.',
    example: `${COMMAND_PREFIX} rollback production --with-staging`,
    positionals: [ENV],
    options: [{ name: 'to', value: '<version>' }, { name: 'from-backup', value: '<id>' }, { name: 'with-staging' }, { name: 'dry-run' }],
  },
  {
    kind: 'status',
    usage: `${COMMAND_PREFIX} status`,
    description: 'Show every environment: running version and health per host, upgrades in progress and scheduled.',
    example: `${COMMAND_PREFIX} status`,
    positionals: [],
    options: [],
  },
  {
    kind: 'version',
    usage: `${COMMAND_PREFIX} version [env]`,
    description: 'Show the OpenClaw version each host of an environment runs.',
    example: `${COMMAND_PREFIX} version staging`,
    positionals: [ENV],
    options: [],
  },
  {
    kind: 'check',
    usage: `${COMMAND_PREFIX} check [env]`,
    description: 'Check whether a newer OpenClaw release is available for an environment.',
    example: `${COMMAND_PREFIX} check production`,
    positionals: [ENV],
    options: [],
  },
  {
    kind: 'changelog',
    usage: `${COMMAND_PREFIX} changelog <from> <to>`,
    description: 'Show the changes between two OpenClaw versions, breaking changes first.',
    example: `${COMMAND_PREFIX} changelog 2026.9.5 2026.9.6`,
    positionals: [
      { name: '<from>', required: true, missing: 'changelog needs two versions: the one you run and the one you want' },
      { name: '<to>', required: true, missing: 'changelog needs a second version to compare with, e.g. latest' },
    ],
    options: [],
  },
  {
    kind: 'backup',
    usage: `${COMMAND_PREFIX} backup create|verify|list [env]`,
    description: 'Create a verified backup of an environment\'s state, verify the latest one, or list backups.',
    example: `${COMMAND_PREFIX} backup create production`,
    positionals: [
      { name: 'create|verify|list', required: true, missing: 'backup needs an action: create, verify or list' },
      ENV,
    ],
    options: [],
  },
  {
    kind: 'doctor',
    usage: `${COMMAND_PREFIX} doctor [env]`,
    description: 'Run `openclaw doctor` on every host of an environment and report what it finds.',
    example: `${COMMAND_PREFIX} doctor staging`,
    positionals: [ENV],
    options: [],
  },
  {
    kind: 'schedule',
    usage: `${COMMAND_PREFIX} schedule list | schedule cancel <id>`,
    description: 'List scheduled upgrades, or cancel one before it starts.',
    example: `${COMMAND_PREFIX} schedule cancel 42`,
    positionals: [
      { name: 'list|cancel', required: true, missing: 'schedule needs an action: list, or cancel <id>' },
      { name: '<id>', required: false },
    ],
    options: [],
  },
  {
    kind: 'cancel',
    usage: `${COMMAND_PREFIX} cancel <upgrade-id>`,
    description: 'Stop a running upgrade after its current step; finished hosts stay upgraded unless you roll back.',
    example: `${COMMAND_PREFIX} cancel 42`,
    positionals: [{ name: '<upgrade-id>', required: true, missing: 'cancel needs the id of the upgrade to stop (see status)' }],
    options: [],
  },
  {
    kind: 'history',
    usage: `${COMMAND_PREFIX} history [env]`,
    description: 'Show past upgrades and rollbacks: who, when, which versions and how they ended.',
    example: `${COMMAND_PREFIX} history production`,
    positionals: [ENV],
    options: [],
  },
  {
    kind: 'help',
    usage: `${COMMAND_PREFIX} help [command]`,
    description: 'Show how to use every command, or one command.',
    example: `${COMMAND_PREFIX} help upgrade`,
    positionals: [{ name: '[command]', required: false }],
    options: [],
  },
];

export const COMMAND_NAMES: readonly CommandKind[] = COMMAND_SPECS.map((spec) => spec.kind);

/** The spec of a command, by name as typed (case-insensitive); undefined for an unknown one. */
export function findSpec(name: string): CommandSpec | undefined {
  const lower = name.toLowerCase();
  return COMMAND_SPECS.find((spec) => spec.kind === lower);
}

/** Every usage line, one per line: the `help` of a reply to an unknown command. */
export function generalUsage(): string {
  return COMMAND_SPECS.map((spec) => spec.usage).join('\n');
}
