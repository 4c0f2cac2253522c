/**
 * Every `clawops` subcommand. To add one: write `src/cli/commands/<name>.ts` exporting
 * `run: CliRun`, then add an entry here. `load` keeps heavy imports out of other commands.
 */
import { discordRegisterCommand } from './discord-register.js';
import type { CliCommandSpec } from './types.js';

export const COMMANDS: readonly CliCommandSpec[] = [
  {
    path: ['config', 'check'],
    summary: 'Validate the fleet config and print a one-line summary',
    usage: [
      'Usage: clawops config check [FILE] [--strict]',
      '',
      'Reads FILE (default: --config, $CLAWOPS_CONFIG, else ./clawops.yml), fills ${VAR} in secret',
      'fields from the environment and reports every problem at once. Exit 0 when valid, 2 when not.',
      'An unset ${VAR} is a warning naming the commands that need it (they refuse to start without it);',
      '--strict makes it an error, for checking the environment a deployment will run in.',
    ].join('\n'),
    secrets: [],
    load: () => import('./commands/config-check.js'),
  },
  {
    path: ['config', 'schema'],
    summary: 'Print the JSON Schema of the fleet config',
    usage: 'Usage: clawops config schema\n\nPrints the JSON Schema of clawops.yml (for editors; same as schema/clawops.schema.json).',
    secrets: [],
    load: () => import('./commands/config-schema.js'),
  },
  {
    path: ['start'],
    summary: 'Run the bot: Slack/Discord when configured, else a terminal chat; the demo sandbox without a config',
    usage: 'Usage: clawops start [--no-worker]\n\nServes the chat platforms in the config and runs a worker in the same process (--no-worker: run `clawops worker` separately).\nWith no chat platform configured: a terminal chat against the fleet. With no config file: `clawops demo`.',
    load: () => import('./commands/start.js'),
  },
  {
    path: ['demo'],
    summary: 'Start a local sandbox (Redis, two sshd hosts with the OpenClaw double, nginx) and a terminal chat',
    usage: 'Usage: clawops demo [--as USER]\n\nNeeds root and a clone of the repository. Stops everything on exit (Ctrl-D or Ctrl-C).',
    // The sandbox writes its own config, secrets included.
    secrets: [],
    load: () => import('./commands/demo.js'),
  },
  {
    path: ['chat'],
    summary: 'A terminal chat against the configured fleet',
    usage: 'Usage: clawops chat [--as USER]\n\nType /openclaw commands; react with +1 ✅ <message number>.',
    secrets: ['redis'],
    load: () => import('./commands/chat.js'),
  },
  {
    path: ['gateway'],
    summary: 'Serve Slack/Discord only (workers run separately)',
    usage: 'Usage: clawops gateway',
    load: () => import('./commands/gateway.js'),
  },
  {
    path: ['worker'],
    summary: 'Run upgrade steps from the queue (start several to scale out)',
    usage: 'Usage: clawops worker\n\nOn SIGTERM the running upgrade is handed back to the queue between steps; another worker resumes it.',
    secrets: ['redis'],
    load: () => import('./commands/worker.js'),
  },
  {
    path: ['say'],
    summary: 'Run one chat command from the terminal through the queue and print its thread',
    usage: 'Usage: clawops say "<command>" [--as USER] [--no-worker]\n       clawops say --approve|--reject <upgrade-id> [--as USER]\n\nExit 0 succeeded, 1 failed/cancelled/expired, 2 bad input or refused.',
    secrets: ['redis'],
    load: () => import('./commands/say.js'),
  },
  {
    path: ['plan'],
    summary: 'Print the plan of an upgrade or rollback (reads the hosts, changes nothing)',
    usage: 'Usage: clawops plan upgrade <version> [env] [options]\n       clawops plan rollback [env] [--to <version>]\n\nA rollback plan reads the upgrade history in Redis; neither needs the chat secrets.',
    // `plan upgrade` narrows this to none: it reads only the hosts.
    secrets: ['redis'],
    load: () => import('./commands/plan.js'),
  },
  {
    path: ['history'],
    summary: 'Print the upgrade log',
    usage: 'Usage: clawops history [ENV] [--limit N] [--json]',
    secrets: ['redis'],
    load: () => import('./commands/history.js'),
  },
  { ...discordRegisterCommand, secrets: ['chat.discord'] },
];
