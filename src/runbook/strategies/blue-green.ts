/**
 * Blue-green behind nginx. The idle color gets the new release (installed side by side) and a
 * copy of the live color's state (restored from the fresh backup into a new dir, then swapped
 * in), starts under PM2 on its own port and state dir, is checked, and after the
 * `switch-traffic` gate nginx's upstream file is rewritten, tested and reloaded. The old color is
 * stopped but its state dir is kept: whatever it wrote after the backup is not in the new color,
 * and the last step lists those files for the operator.
 */
import type { StrategyConfig } from '../../config/schema.js';
import type { PlanGate, PlanStep } from '../types.js';
import { command, gateBefore, hostStep, releaseBinary, trimSlash, type HostContext, type HostSteps } from '../context.js';
import { runbookCommand } from '../template.js';
import { installSteps, readyStep, restoreStateSteps, switchLinkSteps } from '../steps.js';
import { pm2Env } from './pm2.js';
import type { Endpoint, StrategyPlanner } from './types.js';

type BlueGreenConfig = Extract<StrategyConfig, { kind: 'blue-green' }>;
export type Color = 'blue' | 'green';

export function otherColor(color: Color): Color {
  return color === 'blue' ? 'green' : 'blue';
}

export function liveColor(ctx: HostContext): Color {
  return ctx.facts.liveColor ?? 'blue';
}

/** The upstream file's whole content: one upstream block pointing at one color. */
export function upstreamContent(config: BlueGreenConfig, color: Color, version: string): string {
  const port = config[color].port;
  return [
    `# Written by clawops: traffic goes to ${color} (openclaw ${version}).`,
    `upstream ${config.nginx.upstreamName} {`,
    `    server ${config.nginx.backendHost}:${port};`,
    '}',
    '',
  ].join('\n');
}

function colorBase(config: BlueGreenConfig, color: Color): string {
  return `http://${config.nginx.backendHost}:${config[color].port}`;
}

function sudo(config: BlueGreenConfig, argv: readonly string[]): string[] {
  return config.nginx.sudo ? ['sudo', '-n', ...argv] : [...argv];
}

/** `pm2 start <release>/bin/openclaw --name <app> --interpreter none -- gateway run --port P --bind loopback`. */
function startColorSteps(ctx: HostContext, config: BlueGreenConfig, color: Color, version: string, prefix: string): PlanStep[] {
  const app = config[color].app;
  const env = pm2Env(config.pm2Home);
  const run = runbookCommand(ctx.config, 'gatewayRun', { port: String(config[color].port) }, [releaseBinary(ctx.host, version)]);
  const [script, ...args] = run as [string, ...string[]];
  // Starting (or removing) the idle color is preparation, not a switch: nothing that serves changes
  // until the upstream is rewritten. As 'switch' it marked traffic as moved, so a cancel at the
  // traffic gate proposed a rollback and a closed window no longer stopped before the real switch.
  return [
    hostStep(ctx, `${prefix}-start`, `Start ${color} (${app}) on port ${config[color].port} with openclaw ${version}`, 'install',
      command(['pm2', 'start', script, '--name', app, '--interpreter', 'none', '--', ...args], { ...env, OPENCLAW_STATE_DIR: config[color].stateDir }),
      { safeToRepeat: false, verify: ['pm2', 'describe', app], verifyEnv: env }),
    readyStep(ctx, colorBase(config, color), `${prefix}-ready`, `Wait until ${color} is ready (/readyz on port ${config[color].port})`),
  ];
}

function deleteColorStep(ctx: HostContext, config: BlueGreenConfig, color: Color, suffix: string): PlanStep {
  return hostStep(ctx, suffix, `Remove any stale ${color} app (${config[color].app}) from PM2`, 'install',
    command(['pm2', 'delete', config[color].app], pm2Env(config.pm2Home), [0, 1]), { safeToRepeat: true });
}

/** Rewrites the upstream to `color`, tests and reloads nginx, checks the public URL; the gate stands before the first. */
function trafficSteps(ctx: HostContext, config: BlueGreenConfig, color: Color, version: string, gate?: { id: string; title: string; reason: PlanGate['reason'] }): HostSteps {
  const content = upstreamContent(config, color, version);
  const steps: PlanStep[] = [];
  if (config.nginx.sudo) {
    const staged = `${trimSlash(ctx.host.backupDir)}/nginx-upstream-${ctx.runId}-${color}.conf`;
    steps.push(
      hostStep(ctx, 'traffic-stage', `Write the ${color} upstream to ${staged}`, 'switch', { type: 'write-file', path: staged, content }, { safeToRepeat: true }),
      hostStep(ctx, 'traffic', `Install it as ${config.nginx.upstreamFile}`, 'switch', command(['sudo', '-n', 'install', '-m', '0644', staged, config.nginx.upstreamFile]), { safeToRepeat: true }),
    );
  } else {
    steps.push(hostStep(ctx, 'traffic', `Point ${config.nginx.upstreamFile} at ${color} (${config.nginx.backendHost}:${config[color].port})`, 'switch',
      { type: 'write-file', path: config.nginx.upstreamFile, content }, { safeToRepeat: true }));
  }
  steps.push(
    hostStep(ctx, 'nginx-test', 'nginx -t', 'verify', command(sudo(config, config.nginx.test)), { safeToRepeat: true }),
    hostStep(ctx, 'nginx-reload', 'Reload nginx (traffic moves)', 'switch', command(sudo(config, config.nginx.reload)), { safeToRepeat: true }),
    hostStep(ctx, 'public-check', `Check ${config.publicUrl} answers ready (from the bot)`, 'verify',
      { type: 'http-check', url: `${config.publicUrl.replace(/\/+$/, '')}/readyz`, expect: 'ready', timeoutMs: ctx.config.runbook.timeouts.readySeconds * 1000, viaHost: false },
      { safeToRepeat: true }),
  );
  if (gate === undefined) return { steps, gates: [], warnings: [] };
  const first = steps[0] as PlanStep;
  return { steps, gates: [gateBefore(first, `${ctx.host.name}:${gate.id}`, gate.title, gate.reason)], warnings: [] };
}

function warnings(ctx: HostContext): string[] {
  const name = ctx.host.name;
  const out: string[] = [];
  // Overlapping ports and a shared state dir are config errors (src/config), not warnings.
  for (const variable of ['OPENCLAW_STATE_DIR', 'OPENCLAW_CONFIG_PATH']) {
    if (variable in ctx.host.env) out.push(`${name}: the host env sets ${variable}, which both colors would share`);
  }
  return out;
}

export const blueGreenStrategy: StrategyPlanner<'blue-green'> = {
  kind: 'blue-green',
  binary: (ctx, _config, which) => [releaseBinary(ctx.host, which)],
  liveStateDir: (ctx, config) => config[liveColor(ctx)].stateDir,

  upgrade(ctx, config): HostSteps {
    const live = liveColor(ctx);
    const idle = otherColor(live);
    const idleState = config[idle].stateDir;
    const liveEnv = pm2Env(config.pm2Home);
    const traffic = trafficSteps(ctx, config, idle, ctx.toVersion, { id: 'switch-traffic', title: `Switch ${ctx.host.name} traffic from ${live} to ${idle} (openclaw ${ctx.toVersion})`, reason: 'switch-traffic' });
    const steps: PlanStep[] = [
      deleteColorStep(ctx, config, idle, 'idle-stop'),
      ...installSteps(ctx, ctx.toVersion),
      ...restoreStateSteps(ctx, { stateDir: idleState, keepAs: `${idleState}.replaced-${ctx.runId}`, binary: [releaseBinary(ctx.host, 'current')], sourceStateDir: config[live].stateDir }),
      ...startColorSteps(ctx, config, idle, ctx.toVersion, 'idle'),
      hostStep(ctx, 'idle-doctor', `openclaw doctor on ${idle}`, 'verify',
        command(runbookCommand(ctx.config, 'doctor', {}, [releaseBinary(ctx.host, ctx.toVersion)]), { OPENCLAW_STATE_DIR: idleState }), { safeToRepeat: true }),
      ...traffic.steps,
      ...switchLinkSteps(ctx, ctx.toVersion),
      hostStep(ctx, 'old-stop', `Stop ${live} (${config[live].app}); its state dir ${config[live].stateDir} is kept`, 'switch',
        command(['pm2', 'stop', config[live].app], liveEnv), { safeToRepeat: true }),
      hostStep(ctx, 'old-changes', `Files ${live} changed after the backup (not in ${idle}: reconcile by hand)`, 'probe',
        command(['find', config[live].stateDir, '-type', 'f', '-newer', ctx.backupFile]), { safeToRepeat: true }),
    ];
    return { steps, gates: traffic.gates, warnings: warnings(ctx) };
  },

  rollback(ctx, config, mode): HostSteps {
    // After the upgrade the new version is live; the color to go back to is the other one.
    const now = liveColor(ctx);
    const back = otherColor(now);
    const backState = config[back].stateDir;
    const steps: PlanStep[] = [...installSteps(ctx, ctx.toVersion)];
    const warningsOut = [`${ctx.host.name}: whatever ${now} wrote since the switch is not in ${back} (${backState}); ${config[now].stateDir} is kept`];
    const restart = mode === 'restore' || ctx.facts.idleColorRunning !== true;
    if (restart) steps.push(deleteColorStep(ctx, config, back, 'back-stop'));
    if (mode === 'restore') {
      steps.push(...restoreStateSteps(ctx, { stateDir: backState, keepAs: `${backState}.rolled-back-${ctx.runId}`, binary: [releaseBinary(ctx.host, ctx.toVersion)] }));
    }
    if (restart) {
      steps.push(...startColorSteps(ctx, config, back, ctx.toVersion, 'back'));
    } else {
      steps.push(readyStep(ctx, colorBase(config, back), 'back-ready', `Check ${back} is ready (/readyz on port ${config[back].port})`));
    }
    // The rollback plan's own `rollback` gate covers the switch back.
    const traffic = trafficSteps(ctx, config, back, ctx.toVersion);
    steps.push(
      ...traffic.steps,
      ...switchLinkSteps(ctx, ctx.toVersion),
      hostStep(ctx, 'new-stop', `Stop ${now} (${config[now].app}); its state dir is kept`, 'switch', command(['pm2', 'stop', config[now].app], pm2Env(config.pm2Home)), { safeToRepeat: true }),
    );
    return { steps, gates: traffic.gates, warnings: warningsOut };
  },

  endpointAfter(ctx, config, changed): Endpoint {
    // Upgrade and rollback both move traffic to the color that is not live now.
    const serving = changed ? otherColor(liveColor(ctx)) : liveColor(ctx);
    const binary = [releaseBinary(ctx.host, 'current')];
    return {
      base: colorBase(config, serving),
      versionArgv: runbookCommand(ctx.config, 'version', {}, binary),
      stateDir: config[serving].stateDir,
      binary,
      running: {
        argv: runbookCommand(ctx.config, 'gatewayStatus', { port: String(config[serving].port) }, binary),
        env: { OPENCLAW_STATE_DIR: config[serving].stateDir },
      },
    };
  },

  expectedDowntime: () => 'none: traffic moves with an nginx reload (keep-alive clients may see one reset and retry)',
};
