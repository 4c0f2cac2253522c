/**
 * A worker in its own process, for crash tests: `node --import tsx test/jobs/worker-process.ts`.
 * Reads REDIS_URL and CLAWOPS_PREFIX; prints "ready" once the worker listens.
 */
import { Redis } from 'ioredis';
import { startUpgradeWorker } from '../../src/jobs/worker.js';
import { createLocalShell } from '../harness/local-shell.js';
import { quietLogger, testConfig } from './fixtures.js';

const url = process.env.REDIS_URL;
if (!url) throw new Error('REDIS_URL is required');
const connection = new Redis(url, { maxRetriesPerRequest: null });
const { worker, stop } = startUpgradeWorker({
  connection,
  config: testConfig({ prefix: process.env.CLAWOPS_PREFIX ?? 'clawops' }),
  shell: createLocalShell(),
  logger: quietLogger(),
});
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void stop().then(() => connection.quit()).then(() => process.exit(0));
});
