/** `clawops config check [FILE]`: validate and summarize; problems surface as CONFIG_INVALID, warnings are printed and exit 0. */
import { configWarnings } from '../../config/schema-checks.js';
import { summarizeConfig } from '../../config/summary.js';
import { parseCliArgs } from '../args.js';
import type { CliRun } from '../types.js';

export const run: CliRun = async (args, context) => {
  const { positionals } = parseCliArgs(args, {}, 1);
  const config = await context.loadConfig(positionals[0]);
  context.stdout.write(`OK: ${summarizeConfig(config)}\n`);
  for (const warning of configWarnings(config)) context.stdout.write(`warning: ${formatPath(warning.path)}: ${warning.message}\n`);
  return 0;
};

function formatPath(path: readonly (string | number)[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${part}`)).join('');
}
