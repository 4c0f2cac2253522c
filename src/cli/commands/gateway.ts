/** `clawops gateway` (chat only) and `clawops start` (chat + worker in one process). */
import { configuredAdapters, startRuntime } from '../../app/runtime.js';
import { ClawopsError } from '../../errors.js';
import { parseCliArgs } from '../args.js';
import type { CliContext, CliRun } from '../types.js';

export async function serveChat(context: CliContext, worker: boolean): Promise<number> {
  const config = await context.loadConfig();
  const adapters = await configuredAdapters(config, context.logger);
  if (adapters.length === 0) {
    throw new ClawopsError('CONFIG_INVALID', 'no chat platform is configured (chat.slack or chat.discord); for a local terminal chat run `clawops chat`, or `clawops demo` for a sandbox');
  }
  const runtime = await startRuntime({ config, logger: context.logger, worker, adapters });
  context.logger.info({ platforms: adapters.map((adapter) => adapter.platform), worker }, 'clawops is listening');
  await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
  await runtime.stop();
  return 0;
}

export const run: CliRun = async (args, context) => {
  parseCliArgs(args, {}, 0);
  return serveChat(context, false);
};
