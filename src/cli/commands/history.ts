/** `clawops history [ENV] [--limit N]`: the upgrade log from the audit trail in Redis. */
import { Redis } from 'ioredis';
import { AuditStore } from '../../audit/store.js';
import { historyLine } from '../../bot/queries.js';
import { ClawopsError } from '../../errors.js';
import { parseCliArgs } from '../args.js';
import type { CliRun } from '../types.js';

export const run: CliRun = async (args, context) => {
  const { values, positionals } = parseCliArgs(args, { limit: { type: 'string' }, json: { type: 'boolean' } }, 1);
  const limit = Number(values.limit ?? '20');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ClawopsError('COMMAND_INVALID', `--limit must be a whole number from 1 to 1000, got "${values.limit}"`);
  const config = await context.loadConfig();
  const environment = positionals[0];
  if (environment !== undefined && !(environment in config.environments)) {
    throw new ClawopsError('UNKNOWN_ENVIRONMENT', `no environment "${environment}" (have: ${Object.keys(config.environments).join(', ')})`);
  }
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const entries = await new AuditStore(redis, config.redis.prefix).listHistory(environment, limit);
    if (values.json) context.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    else context.stdout.write(entries.length ? `${entries.map(historyLine).join('\n')}\n` : 'no upgrades recorded yet\n');
    return 0;
  } finally {
    redis.disconnect();
  }
};
