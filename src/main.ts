/**
 * Entry point and composition root of `clawops`: the one place real dependencies (process
 * streams, environment, signals, config loader, logger) are wired before dispatching.
 */
import { readProcessEnv } from './config/env.js';
import { loadConfig } from './config/load.js';
import { runCli } from './cli/run.js';
import { createLogger } from './log/logger.js';

const controller = new AbortController();
let interrupts = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  interrupts += 1;
  // First signal: ask the running command to stop cleanly. Second: the user means it.
  if (interrupts > 1) process.exit(130);
  controller.abort(new Error(`received ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// A closed terminal must stop the demo sandbox too (namespaces, sshd hosts, Redis), not orphan it.
process.on('SIGHUP', onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: readProcessEnv(),
  cwd: process.cwd(),
  signal: controller.signal,
  // stdout carries command output (`config schema` is piped into files); logs go to stderr.
  logger: createLogger({ level: 'info', destination: 2 }),
  loadConfig,
});

process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
process.off('SIGHUP', onSignal);
process.exitCode = code;
