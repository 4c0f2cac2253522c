/**
 * PM2: install the target side by side, switch `<releasesDir>/current`, `pm2 reload <app>`.
 * Real OpenClaw cannot run in cluster mode (one gateway per state dir) and sends no `ready`,
 * so a PM2 reload is a restart: the plan says so and points at blue-green.
 * An app that runs openclaw from elsewhere (`npm i -g`) is adopted in the same restart
 * (src/runbook/adopt-pm2.ts); a rollback of such an app is refused (switching changes nothing).
 */
import type { StrategyConfig } from '../../config/schema.js';
import { ClawopsError } from '../../errors.js';
import { adoptionFor, runningBinary, runsLink } from '../adopt.js';
import { pm2AdoptionWarning, pm2AdoptSteps } from '../adopt-pm2.js';
import { command, healthBase, hostStep, releaseBinary, type HostContext, type HostSteps } from '../context.js';
import { currentReleaseEndpoint, installSteps, readyStep, stoppedRestoreSteps, switchLinkSteps } from '../steps.js';
import { markedRestartSteps } from '../restart-mark.js';
import type { PlanStep } from '../types.js';
import type { RollbackMode, StrategyPlanner } from './types.js';
import { assertPm2StateDir } from '../state-dir-check.js';

type Pm2Config = Extract<StrategyConfig, { kind: 'pm2' }>;

export const PM2_RESTART_DOWNTIME = '≈ start-up time (4–12 s per host): a PM2 reload of OpenClaw is a restart (no cluster mode, no ready signal) — use blue-green for zero downtime';

export function pm2Env(pm2Home: string | undefined): Record<string, string> {
  return pm2Home === undefined ? {} : { PM2_HOME: pm2Home };
}

/** What the PM2 facts say about this app; `adopting`: the upgrade re-creates it (fork, interpreter none), so those findings are fixed by it. */
export function pm2Warnings(ctx: HostContext, config: Pm2Config, adopting = false): string[] {
  const facts = ctx.facts.pm2;
  const name = ctx.host.name;
  if (facts === undefined) return [`${name}: no PM2 facts (pm2 jlist): exec mode, interpreter and script path were not checked`];
  const warnings: string[] = [];
  if (facts.execMode === 'cluster') {
    warnings.push(`${name}: PM2 app ${config.app} is in cluster mode; OpenClaw cannot run there (the second instance exits 78: state dir already owned) — use fork mode with interpreter 'none'`);
  } else if (adopting) {
    warnings.push(`${name}: re-creating the PM2 app stops, then starts the gateway (${PM2_RESTART_DOWNTIME})`);
  } else {
    warnings.push(`${name}: PM2 fork mode: \`pm2 reload\` stops, then starts the gateway (${PM2_RESTART_DOWNTIME})`);
  }
  if (facts.waitReady) {
    warnings.push(`${name}: wait_ready is set but OpenClaw sends no ready signal: PM2 waits listen_timeout${facts.listenTimeoutMs === undefined ? '' : ` (${facts.listenTimeoutMs} ms)`} for nothing; clawops polls /readyz instead`);
  } else {
    warnings.push(`${name}: no wait_ready: PM2 counts the app up as soon as it is spawned; clawops polls /readyz before going on`);
  }
  if (facts.interpreter !== undefined && facts.interpreter !== 'none' && !adopting) {
    warnings.push(`${name}: PM2 runs openclaw through interpreter '${facts.interpreter}': it shows "online" but never listens — set interpreter: 'none'`);
  }
  if (facts.killTimeoutMs !== undefined && facts.killTimeoutMs < 5000) {
    warnings.push(`${name}: kill_timeout ${facts.killTimeoutMs} ms may SIGKILL the gateway while it drains connections`);
  }
  if (facts.status !== undefined && facts.status !== 'online') {
    warnings.push(`${name}: PM2 app ${config.app} is ${facts.status}${facts.restarts === undefined ? '' : ` (${facts.restarts} restarts)`}, not online`);
  }
  return warnings;
}

/** Refuses a rollback on an app that does not run the link: switching `current` back would change nothing. */
function assertRunsLink(ctx: HostContext, config: Pm2Config): void {
  const script = ctx.facts.pm2?.script;
  if (script === undefined || runsLink(script, ctx.host)) return;
  const link = releaseBinary(ctx.host, 'current');
  throw new ClawopsError('PLAN_INVALID', `${ctx.host.name}: PM2 app ${config.app} runs ${script}, not ${link}, so switching releases back changes nothing: `
    + `this host was never upgraded by clawops. Roll it back by hand (npm i -g openclaw@${ctx.toVersion}, pm2 restart ${config.app}), or upgrade it once with clawops, which moves the app onto ${link}`,
  { host: ctx.host.name, script });
}

/**
 * `pm2 reload`, after a note of the app's process so that a crash during it can tell whether it
 * happened. `--force` only skips PM2's reload lock: a `pm2 reload` killed with its worker leaves
 * `$PM2_HOME/reload.lock` for 30 s, and the resumed worker's re-run then failed "Reload already in
 * progress" (measured, PM2 7.0.4); clawops's host lock already keeps its own reloads apart.
 */
function reloadSteps(ctx: HostContext, config: Pm2Config): PlanStep[] {
  const env = pm2Env(config.pm2Home);
  return markedRestartSteps(ctx, { kind: 'pm2', app: config.app, env }, 'reload', `pm2 reload ${config.app} (restarts the gateway)`,
    command(['pm2', 'reload', config.app, '--update-env', '--force'], env));
}

export const pm2Strategy: StrategyPlanner<'pm2'> = {
  kind: 'pm2',
  // Before adoption the gateway still runs the app's own openclaw (backup, version probe use it).
  binary: (ctx, _config, which) => which === 'current' ? runningBinary(ctx) : [releaseBinary(ctx.host, which)],
  liveStateDir: (ctx) => ctx.host.stateDir,

  upgrade(ctx, config): HostSteps {
    assertPm2StateDir(ctx, config.app);
    const adoption = adoptionFor(ctx);
    if (adoption === null || adoption.supervisor !== 'pm2') {
      return {
        steps: [...installSteps(ctx, ctx.toVersion), ...switchLinkSteps(ctx, ctx.toVersion), ...reloadSteps(ctx, config), readyStep(ctx, healthBase(ctx.host))],
        gates: [],
        warnings: pm2Warnings(ctx, config),
      };
    }
    const running = ctx.fromVersion === null ? [] : installSteps(ctx, ctx.fromVersion, 'install-running');
    return {
      steps: [
        ...installSteps(ctx, ctx.toVersion), ...running, ...switchLinkSteps(ctx, ctx.toVersion),
        ...pm2AdoptSteps(ctx, config, pm2Env(config.pm2Home)), readyStep(ctx, healthBase(ctx.host)),
      ],
      gates: [],
      warnings: [pm2AdoptionWarning(ctx, adoption), ...pm2Warnings(ctx, config, true)],
    };
  },

  rollback(ctx, config, mode: RollbackMode): HostSteps {
    assertRunsLink(ctx, config);
    assertPm2StateDir(ctx, config.app);
    const env = pm2Env(config.pm2Home);
    if (mode === 'switch') {
      return {
        steps: [...installSteps(ctx, ctx.toVersion), ...switchLinkSteps(ctx, ctx.toVersion), ...reloadSteps(ctx, config), readyStep(ctx, healthBase(ctx.host))],
        gates: [],
        warnings: [],
      };
    }
    const stateDir = ctx.host.stateDir;
    return {
      steps: [
        ...installSteps(ctx, ctx.toVersion),
        ...stoppedRestoreSteps(ctx, { stateDir, keepAs: `${stateDir}.rolled-back-${ctx.runId}`, binary: [releaseBinary(ctx.host, ctx.toVersion)] },
          hostStep(ctx, 'stop', `pm2 stop ${config.app}`, 'switch', command(['pm2', 'stop', config.app], env), { safeToRepeat: true })),
        hostStep(ctx, 'start', `pm2 start ${config.app}`, 'switch', command(['pm2', 'start', config.app], env), { safeToRepeat: true }),
        readyStep(ctx, healthBase(ctx.host)),
      ],
      gates: [],
      warnings: [],
    };
  },

  endpointAfter: (ctx) => currentReleaseEndpoint(ctx),

  expectedDowntime: (_ctx, _config, _plan, mode) => mode === 'restore'
    ? 'stopped from `pm2 stop` until ready on the old version: state swap + start-up (≈ 5–15 s per host; the backup is extracted before the stop)'
    : PM2_RESTART_DOWNTIME,
};
