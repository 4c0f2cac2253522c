/**
 * Every `clawops` subcommand. To add one: write `src/cli/commands/<name>.ts` exporting
 * `run: CliRun`, then add an entry here. `load` keeps heavy imports out of other commands.
 */
import type { CliCommandSpec } from './types.js';

export const COMMANDS: readonly CliCommandSpec[] = [
  {
    path: ['config', 'check'],
    summary: 'Validate the fleet config and print a one-line summary',
    usage: [
      'Usage: clawops config check [FILE]',
      '',
      'Reads FILE (default: --config, $CLAWOPS_CONFIG, else ./clawops.yml), fills ${VAR} in secret',
      'fields from the environment and reports every problem at once. Exit 0 when valid, 2 when not.',
    ].join('\n'),
    load: () => import('./commands/config-check.js'),
  },
  {
    path: ['config', 'schema'],
    summary: 'Print the JSON Schema of the fleet config',
    usage: 'Usage: clawops config schema\n\nPrints the JSON Schema of clawops.yml (for editors; same as schema/clawops.schema.json).',
    load: () => import('./commands/config-schema.js'),
  },
];
