/**
 * PM2: install the target side by side, switch `<releasesDir>/current`, `pm2 reload <app>`.
 * Real OpenClaw cannot run in cluster mode (one gateway per state dir) and sends no `ready`,
 * so a PM2 reload is a restart: the plan says so and points at blue-green.
 */
import type { StrategyConfig } from '../../config/schema.js';
import { command, currentLink, healthBase, hostStep, releaseBinary, type HostContext, type HostSteps } from '../context.js';
import { currentReleaseEndpoint, installSteps, readyStep, restoreStateSteps, switchLinkSteps } from '../steps.js';
import type { RollbackMode, StrategyPlanner } from './types.js';

type Pm2Config = Extract<StrategyConfig, { kind: 'pm2' }>;

export const PM2_RESTART_DOWNTIME = '≈ start-up time (4–12 s per host): a PM2 reload of OpenClaw is a restart (no cluster mode, no ready signal) — use blue-green for zero downtime';

export function pm2Env(pm2Home: string | undefined): Record<string, string> {
  return pm2Home === undefined ? {} : { PM2_HOME: pm2Home };
}

export function pm2Warnings(ctx: HostContext, config: Pm2Config): string[] {
  const facts = ctx.facts.pm2;
  const name = ctx.host.name;
  if (facts === undefined) return [`${name}: no PM2 facts (pm2 jlist): exec mode, interpreter and script path were not checked`];
  const warnings: string[] = [];
  if (facts.execMode === 'cluster') {
    warnings.push(`${name}: PM2 app ${config.app} is in cluster mode; OpenClaw cannot run there (the second instance exits 78: state dir already owned) — use fork mode with interpreter 'none'`);
  } else {
    warnings.push(`${name}: PM2 fork mode: \`pm2 reload\` stops, then starts the gateway (${PM2_RESTART_DOWNTIME})`);
  }
  if (facts.waitReady) {
    warnings.push(`${name}: wait_ready is set but OpenClaw sends no ready signal: PM2 waits listen_timeout${facts.listenTimeoutMs === undefined ? '' : ` (${facts.listenTimeoutMs} ms)`} for nothing; clawops polls /readyz instead`);
  } else {
    warnings.push(`${name}: no wait_ready: PM2 counts the app up as soon as it is spawned; clawops polls /readyz before going on`);
  }
  if (facts.interpreter !== undefined && facts.interpreter !== 'none') {
    warnings.push(`${name}: PM2 runs openclaw through interpreter '${facts.interpreter}': it shows "online" but never listens — set interpreter: 'none'`);
  }
  if (facts.killTimeoutMs !== undefined && facts.killTimeoutMs < 5000) {
    warnings.push(`${name}: kill_timeout ${facts.killTimeoutMs} ms may SIGKILL the gateway while it drains connections`);
  }
  const link = releaseBinary(ctx.host, 'current');
  if (facts.script !== undefined && facts.script !== link && !facts.script.startsWith(`${currentLink(ctx.host)}/`)) {
    warnings.push(`${name}: PM2 runs ${facts.script}, not ${link}: switching releases changes nothing until the app runs the link`);
  }
  return warnings;
}

function reloadStep(ctx: HostContext, config: Pm2Config) {
  return hostStep(ctx, 'reload', `pm2 reload ${config.app} (restarts the gateway)`, 'switch',
    command(['pm2', 'reload', config.app, '--update-env'], pm2Env(config.pm2Home)), { safeToRepeat: false });
}

export const pm2Strategy: StrategyPlanner<'pm2'> = {
  kind: 'pm2',
  binary: (ctx, _config, which) => [releaseBinary(ctx.host, which)],
  liveStateDir: (ctx) => ctx.host.stateDir,

  upgrade(ctx, config): HostSteps {
    return {
      steps: [...installSteps(ctx, ctx.toVersion), ...switchLinkSteps(ctx, ctx.toVersion), reloadStep(ctx, config), readyStep(ctx, healthBase(ctx.host))],
      gates: [],
      warnings: pm2Warnings(ctx, config),
    };
  },

  rollback(ctx, config, mode: RollbackMode): HostSteps {
    const env = pm2Env(config.pm2Home);
    if (mode === 'switch') {
      return {
        steps: [...installSteps(ctx, ctx.toVersion), ...switchLinkSteps(ctx, ctx.toVersion), reloadStep(ctx, config), readyStep(ctx, healthBase(ctx.host))],
        gates: [],
        warnings: [],
      };
    }
    const stateDir = ctx.host.stateDir;
    return {
      steps: [
        ...installSteps(ctx, ctx.toVersion),
        hostStep(ctx, 'stop', `pm2 stop ${config.app}`, 'switch', command(['pm2', 'stop', config.app], env), { safeToRepeat: true }),
        ...restoreStateSteps(ctx, { stateDir, keepAs: `${stateDir}.rolled-back-${ctx.runId}`, binary: [releaseBinary(ctx.host, ctx.toVersion)] }),
        ...switchLinkSteps(ctx, ctx.toVersion),
        hostStep(ctx, 'start', `pm2 start ${config.app}`, 'switch', command(['pm2', 'start', config.app], env), { safeToRepeat: true }),
        readyStep(ctx, healthBase(ctx.host)),
      ],
      gates: [],
      warnings: [],
    };
  },

  endpointAfter: (ctx) => currentReleaseEndpoint(ctx),

  expectedDowntime: (_ctx, _config, _plan, mode) => mode === 'restore'
    ? 'stopped from `pm2 stop` until ready on the old version: restore + start-up (≈ 15–30 s per host)'
    : PM2_RESTART_DOWNTIME,
};
