/** `clawops chat`: the terminal chat against the configured fleet (the local default without Slack/Discord). */
import { userInfo } from 'node:os';
import { startRuntime } from '../../app/runtime.js';
import { createTerminalAdapter, TERMINAL_USAGE } from '../../chat/terminal/index.js';
import { parseCliArgs } from '../args.js';
import type { CliContext, CliRun } from '../types.js';
import type { ClawopsConfig } from '../../config/schema.js';

export async function runTerminalChat(context: CliContext, config: ClawopsConfig, user: string): Promise<number> {
  const adapter = createTerminalAdapter({ input: process.stdin, output: process.stdout, errorOutput: process.stderr, user });
  // The terminal is the chat here: only warnings and errors of the bot itself go to stderr.
  const logger = context.logger.child({}, { level: config.log.level === 'info' ? 'warn' : config.log.level });
  const runtime = await startRuntime({ config, logger, worker: true, adapters: [adapter], editIntervalMs: 250 });
  context.stdout.write(`clawops terminal chat as ${user}: ${TERMINAL_USAGE}. Ctrl-D or Ctrl-C quits.\n`);
  await Promise.race([adapter.closed, new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }))]);
  await runtime.stop();
  return 0;
}

export const run: CliRun = async (args, context) => {
  const { values } = parseCliArgs(args, { as: { type: 'string' } }, 0);
  const config = await context.loadConfig();
  return runTerminalChat(context, config, values.as ?? userInfo().username);
};
