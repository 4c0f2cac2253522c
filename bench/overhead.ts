/**
 * Bot overhead on one host: the same upgrade (OpenClaw double 1.2.0 -> 1.3.0, PM2 strategy)
 * run by the bot (engine + planner, no gates, watch 0) and by hand (the plan's exact argv over
 * one SSH connection, bench/lib/by-hand.ts). The host is reset to the 1.2.0 state before each
 * run; runs alternate bot/hand so drift hits both. Goal: bot / hand <= 1.05.
 *
 *   npm run bench:overhead -- [--runs 3]
 */
import { parseArgs } from 'node:util';
import { createSshShell } from '../src/remote/ssh-shell.js';
import type { Plan } from '../src/runbook/types.js';
import type { TestHost } from '../test/harness/hosts.js';
import { botUpgrade, openEngine } from './lib/bot.js';
import { runByHand } from './lib/by-hand.js';
import { BACKUPS, benchConfig, FROM, installReleases, linkCurrent, median, must, pm2HostConfig, RELEASES, seconds, STATE, startPm2Gateway, startStack, TO, type Stack } from './lib/stack.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Math.max(1, Math.min(20, Number(values.runs)));

/** Back to "1.2.0 running under PM2 from current, pristine state, nothing of 1.3.0 installed". */
async function reset(stack: Stack, host: TestHost): Promise<void> {
  await stack.shell.run(host.target, ['pm2', 'delete', 'openclaw'], { timeoutMs: 30_000 });
  await must(stack.shell, host, ['rm', '-rf', `${RELEASES}/${TO}`, `${RELEASES}/current.tmp`, BACKUPS, STATE]);
  await must(stack.shell, host, ['cp', '-a', `${STATE}.pristine`, STATE]);
  await linkCurrent(stack.shell, host, FROM);
  await startPm2Gateway(stack.shell, host);
}

async function main(): Promise<void> {
  const stack = await startStack(1);
  const hand = createSshShell();
  try {
    const host = stack.fleet.hosts[0] as TestHost;
    await installReleases(stack.shell, host, [FROM]);
    // Warm npm's cache for 1.3.0 so the first measured install is not the only cold one.
    await must(stack.shell, host, ['npm', 'install', '-g', '--prefix', '/root/warm', `openclaw@${TO}`, '--allow-scripts=openclaw']);
    await must(stack.shell, host, ['rm', '-rf', '/root/warm']);
    await linkCurrent(stack.shell, host, FROM);
    await startPm2Gateway(stack.shell, host);
    await must(stack.shell, host, ['cp', '-a', STATE, `${STATE}.pristine`]);
    const config = benchConfig(stack.redis.url, 'overhead', { hosts: [pm2HostConfig(host)] });
    const hosts = config.environments.production?.hosts ?? [];
    const engine = await openEngine(config, stack.shell);
    const bot: Array<{ totalMs: number; planMs: number; execMs: number }> = [];
    const byHand: number[] = [];
    const botSteps: Record<string, number[]> = {};
    const handSteps: Record<string, number[]> = {};
    let plan: Plan | undefined;
    try {
      await must(hand, host, ['true']);
      for (let i = 0; i < runs; i++) {
        await reset(stack, host);
        const run = await botUpgrade(engine, TO, 'production');
        if (run.outcome !== 'succeeded') throw new Error(`bot run ${i + 1}: ${run.outcome}: ${run.summary}`);
        const firstStep = run.events.find(({ event }) => event.type === 'step-started')?.at ?? 0;
        const last = run.events.at(-1)?.at ?? 0;
        bot.push({ totalMs: run.totalMs, planMs: run.planMs, execMs: last - firstStep });
        plan = run.plan;
        for (const { event } of run.events) if (event.type === 'step-finished') (botSteps[event.stepId] ??= []).push(event.durationMs);
        await reset(stack, host);
        const manual = await runByHand(hand, plan, hosts);
        byHand.push(manual.totalMs);
        for (const [id, ms] of Object.entries(manual.stepMs)) (handSteps[id] ??= []).push(ms);
        console.log(`run ${i + 1}: bot ${seconds(run.totalMs)} (plan+enqueue ${seconds(run.planMs)}, first step -> finished ${seconds(last - firstStep)}), by hand ${seconds(byHand.at(-1) ?? 0)}`);
      }
    } finally {
      await engine.close();
    }
    const botTotal = median(bot.map((run) => run.totalMs));
    const botExec = median(bot.map((run) => run.execMs));
    const botPlan = median(bot.map((run) => run.planMs));
    const handMs = median(byHand);
    const steps = plan?.steps.filter((step) => step.host !== undefined).length ?? 0;
    console.log(`\nbot overhead, 1 host, openclaw double ${FROM} -> ${TO} (pm2), ${runs} runs each, medians; ${steps} host steps`);
    console.log(`  bot, submit -> finished       ${seconds(botTotal)}   (planning: facts + changelogs + plan + enqueue ${seconds(botPlan)})`);
    console.log(`  bot, first step -> finished   ${seconds(botExec)}`);
    console.log(`  by hand, same argv, 1 SSH     ${seconds(handMs)}`);
    console.log('  per step (median ms, bot step duration / by hand):');
    for (const step of plan?.steps ?? []) {
      if (step.host === undefined) continue;
      console.log(`    ${step.id.padEnd(28)} ${median(botSteps[step.id] ?? [NaN]).toFixed(0).padStart(6)} / ${median(handSteps[step.id] ?? [NaN]).toFixed(0).padStart(6)}`);
    }
    console.log(`  ratio bot/hand: total ${(botTotal / handMs).toFixed(3)}, execution only ${(botExec / handMs).toFixed(3)} (goal <= 1.05)`);
  } finally {
    await hand.close();
    await stack.stop();
  }
}

main().catch((error: unknown) => { console.error(error); process.exitCode = 1; });
