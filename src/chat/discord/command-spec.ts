/**
 * The `/openclaw` Discord application command as data: one table drives both the definitions
 * registered with Discord and the conversion of an interaction back into command text, so the
 * shared parser (src/commands/parse.ts) stays the only grammar.
 */

export type DiscordOptionType = 'string' | 'boolean';

/** One option of a subcommand and how it is written in command text. */
export interface DiscordOptionSpec {
  name: string;
  description: string;
  type: DiscordOptionType;
  required?: boolean;
  choices?: readonly string[];
  /** `positional`: the bare value, in table order; `flag`: `--name value` (or `--name` for a true boolean). */
  render: 'positional' | 'flag';
}

/** One `/openclaw <name>` subcommand. */
export interface DiscordSubcommandSpec {
  name: string;
  description: string;
  options: readonly DiscordOptionSpec[];
}

export const DISCORD_COMMAND_NAME = 'openclaw';

const strategies = ['pm2', 'systemd', 'blue-green', 'docker-compose', 'docker-swarm'] as const;
const commandTopics = ['upgrade', 'rollback', 'status', 'version', 'check', 'changelog', 'backup', 'doctor', 'schedule', 'cancel', 'history'] as const;

const env = (what: string): DiscordOptionSpec => ({ name: 'env', description: `Environment ${what} (default: the configured default)`, type: 'string', render: 'positional' });
const dryRun: DiscordOptionSpec = { name: 'dry-run', description: 'Show the plan, change nothing', type: 'boolean', render: 'flag' };

export const discordSubcommands: readonly DiscordSubcommandSpec[] = [
  {
    name: 'upgrade',
    description: 'Upgrade OpenClaw with zero downtime',
    options: [
      { name: 'version', description: 'Target version (e.g. 2026.9.6) or latest', type: 'string', required: true, render: 'positional' },
      env('to upgrade'),
      { name: 'strategy', description: 'Override the configured strategy', type: 'string', choices: strategies, render: 'flag' },
      { name: 'hosts', description: 'Only these hosts, comma-separated', type: 'string', render: 'flag' },
      { name: 'at', description: 'Schedule for a time (e.g. "2026-03-14 02:00")', type: 'string', render: 'flag' },
      { name: 'window', description: 'Run in the next maintenance window, or pick one from traffic', type: 'string', choices: ['next', 'auto'], render: 'flag' },
      dryRun,
      { name: 'skip-staging', description: 'Do not require a staging upgrade first', type: 'boolean', render: 'flag' },
    ],
  },
  {
    name: 'rollback',
    description: 'Roll back to the previous version or a backup',
    options: [
      env('to roll back'),
      { name: 'to', description: 'Version to roll back to', type: 'string', render: 'flag' },
      { name: 'from-backup', description: 'Backup id to restore (see backup list)', type: 'string', render: 'flag' },
      { name: 'with-staging', description: 'Also roll back the staging hosts the upgrade changed first', type: 'boolean', render: 'flag' },
      dryRun,
    ],
  },
  { name: 'status', description: 'Running and scheduled upgrades', options: [] },
  { name: 'version', description: 'Installed versions per host', options: [env('to inspect')] },
  { name: 'check', description: 'Check for a newer OpenClaw release', options: [env('to check')] },
  {
    name: 'changelog',
    description: 'Changes and breaking changes between two versions',
    options: [
      { name: 'from', description: 'From version', type: 'string', required: true, render: 'positional' },
      { name: 'to', description: 'To version', type: 'string', required: true, render: 'positional' },
    ],
  },
  {
    name: 'backup',
    description: 'Create, verify or list backups',
    options: [
      { name: 'action', description: 'What to do', type: 'string', required: true, choices: ['create', 'verify', 'list'], render: 'positional' },
      env('to back up'),
    ],
  },
  { name: 'doctor', description: 'Run openclaw doctor on every host', options: [env('to examine')] },
  {
    name: 'schedule',
    description: 'List or cancel scheduled upgrades',
    options: [
      { name: 'action', description: 'What to do', type: 'string', required: true, choices: ['list', 'cancel'], render: 'positional' },
      { name: 'id', description: 'Scheduled upgrade id (for cancel)', type: 'string', render: 'positional' },
    ],
  },
  {
    name: 'cancel',
    description: 'Cancel a running upgrade',
    options: [{ name: 'id', description: 'Upgrade id', type: 'string', required: true, render: 'positional' }],
  },
  { name: 'history', description: 'Past upgrades', options: [env('to show')] },
  {
    name: 'help',
    description: 'How to use /openclaw',
    options: [{ name: 'topic', description: 'A command', type: 'string', choices: commandTopics, render: 'positional' }],
  },
];
