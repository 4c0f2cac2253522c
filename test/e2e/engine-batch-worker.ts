/**
 * An upgrade worker in its own process for the batch crash test (`node --import tsx …`): the
 * fleet config comes as JSON in CLAWOPS_FLEET_CONFIG; commands run on this machine (local shell).
 */
import { Redis } from 'ioredis';
import { configSchema } from '../../src/config/schema.js';
import { startUpgradeWorker } from '../../src/jobs/worker.js';
import { createLocalShell } from '../harness/local-shell.js';
import { quietLogger } from '../jobs/fixtures.js';

const json = process.env.CLAWOPS_FLEET_CONFIG;
if (!json) throw new Error('CLAWOPS_FLEET_CONFIG is required');
const config = configSchema.parse(JSON.parse(json));
const connection = new Redis(config.redis.url, { maxRetriesPerRequest: null });
const { worker, stop } = startUpgradeWorker({ connection, config, shell: createLocalShell(), logger: quietLogger() });
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void stop().then(() => connection.quit()).then(() => process.exit(0));
});
