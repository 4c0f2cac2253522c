/**
 * `clawops say "<command>" [--as USER]`: one chat command from the terminal, through the same
 * parser, authorization, queue and thread rendering as Slack and Discord. Waits for an upgrade
 * to finish and exits 0 (succeeded), 1 (failed, cancelled, expired) or 2 (bad input, refused).
 * `--approve ID` / `--reject ID` reacts to the gate an upgrade is waiting at.
 */
import { PassThrough } from 'node:stream';
import { userInfo } from 'node:os';
import { startRuntime } from '../../app/runtime.js';
import { createTerminalAdapter } from '../../chat/terminal/index.js';
import { ClawopsError } from '../../errors.js';
import { parseCliArgs } from '../args.js';
import type { CliRun } from '../types.js';

export const run: CliRun = async (args, context) => {
  const { values, positionals } = parseCliArgs(args, {
    as: { type: 'string' }, approve: { type: 'string' }, reject: { type: 'string' }, 'no-worker': { type: 'boolean' },
  }, 1);
  const user = values.as ?? userInfo().username;
  const config = await context.loadConfig();
  const decisionId = values.approve ?? values.reject;
  if (decisionId !== undefined) {
    if (positionals.length > 0) throw new ClawopsError('COMMAND_INVALID', '--approve/--reject take an upgrade id and no command text');
    const runtime = await startRuntime({ config, logger: context.logger, worker: false });
    try {
      const decision = values.approve !== undefined ? 'approve' : 'reject';
      const result = await runtime.engine.decide(decisionId, { platform: 'terminal', userId: user, decision });
      const tally = result.have !== undefined ? ` (${result.have}/${result.need} approvals)` : '';
      context.stdout.write(result.counted ? `${decision} by ${user} counted${tally}\n` : `${decision} by ${user} not counted: ${result.reason ?? 'unknown reason'}\n`);
      return result.counted ? 0 : 2;
    } finally {
      await runtime.stop();
    }
  }
  const text = positionals[0];
  if (text === undefined) throw new ClawopsError('COMMAND_INVALID', 'say what? e.g. clawops say "upgrade 1.3.0 production --dry-run"');

  // Interactive terminals can react (`+1 ✅ 3`); otherwise approvals come from a second `say --approve`.
  const input = process.stdin.isTTY ? process.stdin : new PassThrough();
  const adapter = createTerminalAdapter({ input, output: process.stdout, errorOutput: process.stderr, user, tty: false });
  const runtime = await startRuntime({ config, logger: context.logger, worker: values['no-worker'] !== true, adapters: [adapter], editIntervalMs: 200 });
  try {
    let finished: ((outcome: string) => void) | undefined;
    const done = new Promise<string>((resolve) => { finished = resolve; });
    const outcome = await runtime.bot!.handleCommand({
      platform: 'terminal', userId: user, channel: 'terminal', text,
      replyPrivately: async (message) => { context.stderr.write(`${message}\n`); },
    });
    if (outcome.status !== 'started') return outcome.status === 'answered' ? 0 : outcome.status === 'failed' ? 1 : 2;
    if (outcome.dryRun) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await runtime.bot!.flush(outcome.upgradeId);
      return 0;
    }
    context.stderr.write(`upgrade ${outcome.upgradeId} queued; approve gates with: clawops say --approve ${outcome.upgradeId} --as <approver>\n`);
    const unsubscribe = runtime.engine.subscribe(outcome.upgradeId, (event) => {
      if (event.type === 'finished') finished?.(event.outcome);
    });
    const aborted = new Promise<string>((resolve) => context.signal.addEventListener('abort', () => resolve('interrupted'), { once: true }));
    const result = await Promise.race([done, aborted]);
    unsubscribe();
    // The thread's last message (the report) is rendered by the bot's own subscription: wait for it.
    // unref: a pending fallback timer kept the process alive for its full 10 s after the report
    // (measured: say exited 10.0 s after the upgrade finished).
    if (result !== 'interrupted') await Promise.race([runtime.bot!.settled(outcome.upgradeId), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await runtime.bot!.flush(outcome.upgradeId);
    if (result === 'interrupted') context.stderr.write(`stopped watching; upgrade ${outcome.upgradeId} goes on in the workers\n`);
    return result === 'succeeded' ? 0 : 1;
  } finally {
    await runtime.stop();
  }
};
