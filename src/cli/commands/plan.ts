/**
 * `clawops plan upgrade 1.3.0 production` / `clawops plan rollback production`: reads facts from
 * the hosts (read-only) and prints the plan. A rollback reads the audit trail in Redis the same
 * way the bot does (`lastUpgradeFromHistory`), so it undoes the upgrade `clawops history` lists.
 */
import { Redis } from 'ioredis';
import { AuditStore } from '../../audit/store.js';
import { createPlanner, lastUpgradeFromHistory, type LastUpgrade } from '../../bot/planner.js';
import { parseCommand } from '../../commands/index.js';
import type { ClawopsConfig } from '../../config/schema.js';
import { ClawopsError } from '../../errors.js';
import { createSshShell } from '../../remote/ssh-shell.js';
import { renderPlanText } from '../../runbook/index.js';
import type { CliRun } from '../types.js';

export const run: CliRun = async (args, context) => {
  const parsed = parseCommand(args.join(' '));
  if (!parsed.ok) throw new ClawopsError('COMMAND_INVALID', `${parsed.message}\n${parsed.help}`);
  const command = parsed.command;
  if (command.kind !== 'upgrade' && command.kind !== 'rollback') {
    throw new ClawopsError('COMMAND_INVALID', `clawops plan shows upgrade and rollback plans, not ${command.kind}`);
  }
  // Only a rollback reads the audit trail; an upgrade plan reads the hosts alone.
  const config = await context.loadConfig({ needs: command.kind === 'rollback' ? ['redis'] : [] });
  const redis = command.kind === 'rollback' ? await connectAudit(config) : undefined;
  const shell = createSshShell({ logger: context.logger });
  try {
    const lastUpgrade: LastUpgrade | undefined = redis === undefined ? undefined
      : lastUpgradeFromHistory((environment, limit) => new AuditStore(redis, config.redis.prefix).listHistory(environment, limit));
    const planner = createPlanner({ config, shell, ...(lastUpgrade ? { lastUpgrade } : {}) });
    const planned = await planner(command, { platform: 'terminal', userId: 'plan' }, { upgradeId: 'preview', signal: context.signal });
    if (planned instanceof Error) throw planned;
    context.stdout.write(`${renderPlanText(planned)}\n`);
    return 0;
  } finally {
    await shell.close();
    redis?.disconnect();
  }
};

/** The audit trail a rollback plan reads; a Redis that cannot be reached is an error that says where it looked. */
async function connectAudit(config: ClawopsConfig): Promise<Redis> {
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: 5000 });
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new ClawopsError('INTERNAL', `a rollback plan reads the upgrade history, and Redis at ${config.redis.url.replace(/\/\/[^@/]*@/, '//***@')} cannot be reached: ${error instanceof Error ? error.message : String(error)}`);
  }
}
