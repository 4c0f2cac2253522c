/**
 * The operator's baseline: a plan's exact argv, typed one after another over one SSH connection
 * (the same RemoteShell), with the obvious shell loop for "wait until ready":
 * `until curl -fsS <url>; do sleep 0.1; done`. No events, no Redis, no cursor saves.
 */
import type { HostConfig } from '../../src/config/schema.js';
import type { RemoteShell, RemoteTarget } from '../../src/remote/types.js';
import type { Plan, PlanStep } from '../../src/runbook/types.js';
import { toRemoteTarget } from '../../src/jobs/targets.js';

async function untilOk(what: string, deadline: number, attempt: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (await attempt()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ok before the deadline`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function runStep(shell: RemoteShell, target: RemoteTarget, host: HostConfig, step: PlanStep): Promise<void> {
  const action = step.action;
  switch (action.type) {
    case 'command': {
      const result = await shell.run(target, action.argv, { timeoutMs: step.timeoutMs, ...(action.env ? { env: action.env } : {}) });
      if (!(action.okExitCodes ?? [0]).includes(result.exitCode)) throw new Error(`${step.id}: ${action.argv.join(' ')} exited ${result.exitCode}: ${result.stderr.trim()}`);
      return;
    }
    case 'write-file':
      return shell.writeFile(target, action.path, action.content);
    case 'http-check': {
      const deadline = Date.now() + action.timeoutMs;
      if (action.viaHost) {
        return untilOk(step.id, deadline, async () => (await shell.run(target, ['curl', '-fsS', '--max-time', '2', '-o', '/dev/null', action.url], { timeoutMs: 5_000 })).exitCode === 0);
      }
      return untilOk(step.id, deadline, async () => (await fetch(action.url, { signal: AbortSignal.timeout(2_000) }).then((res) => res.ok, () => false)));
    }
    case 'version-check': {
      const argv = action.argv ?? [`${host.releasesDir}/current/bin/openclaw`, '--version'];
      const result = await shell.run(target, argv, { timeoutMs: step.timeoutMs, ...(action.env ? { env: action.env } : {}) });
      if (!result.stdout.includes(action.expectVersion)) throw new Error(`${step.id}: expected ${action.expectVersion}, got ${result.stdout.trim()}`);
      return;
    }
    case 'watch':
    case 'notify':
      return;
  }
}

/** Runs every host step of the plan in order; returns the wall time and each step's time in ms. */
export async function runByHand(shell: RemoteShell, plan: Plan, hosts: readonly HostConfig[]): Promise<{ totalMs: number; stepMs: Record<string, number> }> {
  const started = performance.now();
  const stepMs: Record<string, number> = {};
  for (const step of plan.steps) {
    if (step.host === undefined) continue;
    const host = hosts.find((candidate) => candidate.name === step.host);
    if (!host) throw new Error(`no host ${step.host}`);
    const t0 = performance.now();
    await runStep(shell, toRemoteTarget(host), host, step);
    stepMs[step.id] = performance.now() - t0;
  }
  return { totalMs: performance.now() - started, stepMs };
}
