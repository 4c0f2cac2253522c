/** `clawops worker`: runs upgrade steps from the queue; scale out by starting more of these. */
import { startRuntime } from '../../app/runtime.js';
import { parseCliArgs } from '../args.js';
import type { CliRun } from '../types.js';

export const run: CliRun = async (args, context) => {
  parseCliArgs(args, {}, 0);
  const config = await context.loadConfig();
  const runtime = await startRuntime({ config, logger: context.logger, worker: true });
  context.logger.info({ redis: config.redis.prefix }, 'worker ready');
  await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
  // Between steps, running jobs go back to the queue; another worker resumes them.
  await runtime.stop();
  return 0;
};
