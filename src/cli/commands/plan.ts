/** `clawops plan upgrade 1.3.0 production`: reads facts from the hosts (read-only) and prints the plan. */
import { createPlanner } from '../../bot/planner.js';
import { parseCommand } from '../../commands/index.js';
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
  const config = await context.loadConfig();
  const shell = createSshShell({ logger: context.logger });
  try {
    const planned = await createPlanner({ config, shell })(command, { platform: 'terminal', userId: 'plan' }, { upgradeId: 'preview', signal: context.signal });
    if (planned instanceof Error) throw planned;
    context.stdout.write(`${renderPlanText(planned)}\n`);
    return 0;
  } finally {
    await shell.close();
  }
};
