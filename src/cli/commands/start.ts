/**
 * `clawops start`: the bot. With Slack or Discord configured, serves them (and runs a worker);
 * with neither, a terminal chat against the config's fleet; with no config at all, the demo sandbox.
 */
import { existsSync } from 'node:fs';
import { resolveConfigPath } from '../../config/load.js';
import { parseCliArgs } from '../args.js';
import type { CliRun } from '../types.js';
import { serveChat } from './gateway.js';

export const run: CliRun = async (args, context) => {
  const { values } = parseCliArgs(args, { 'no-worker': { type: 'boolean' } }, 0);
  const file = resolveConfigPath({ ...(context.configFile ? { file: context.configFile } : {}), env: context.env, cwd: context.cwd });
  if (!existsSync(file)) {
    context.stderr.write(`clawops: no config at ${file}; starting the local demo sandbox (see README: Configuration to use your own fleet)\n`);
    const demo = await import('./demo.js');
    return demo.run([], context);
  }
  const config = await context.loadConfig();
  if (!config.chat.slack && !config.chat.discord) {
    const chat = await import('./chat.js');
    return chat.run([], context);
  }
  return serveChat(context, values['no-worker'] !== true);
};
