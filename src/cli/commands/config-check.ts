/** `clawops config check [FILE]`: validate and summarize; problems surface as CONFIG_INVALID. */
import { summarizeConfig } from '../../config/summary.js';
import { parseCliArgs } from '../args.js';
import type { CliRun } from '../types.js';

export const run: CliRun = async (args, context) => {
  const { positionals } = parseCliArgs(args, {}, 1);
  const config = await context.loadConfig(positionals[0]);
  context.stdout.write(`OK: ${summarizeConfig(config)}\n`);
  return 0;
};
