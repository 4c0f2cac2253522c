/**
 * Blue-green behind nginx, two PM2 apps on their own ports and state dirs. An upgrade hands the
 * host over from the live color to the idle one (src/runbook/handoff.ts: channels, write freeze,
 * final snapshot, the copy without the live color's leases); nginx's upstream file is rewritten,
 * tested and reloaded while the freeze holds. The old color is stopped, its state dir kept; a
 * rollback brings it back on that state (it never ran the new version, so no schema to undo).
 */
import type { StrategyConfig } from '../../config/schema.js';
import type { PlanGate, PlanStep, StepKind } from '../types.js';
import { command, gateBefore, hostStep, releaseBinary, stateEnv, trimSlash, type HostContext, type HostSteps } from '../context.js';
import { runbookCommand } from '../template.js';
import { installSteps, readyStep, restoreStateSteps, switchLinkSteps } from '../steps.js';
import { DRAIN_MS, FREEZE_MARGIN_MS, handoffStep, type HandoffMode } from '../handoff.js';
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

/**
 * The upgrade: the idle color gets the new release side by side; after the `switch-traffic` gate
 * the handoff (src/runbook/handoff.ts) stops the live color's channels, freezes its writes, takes
 * the final snapshot, restores it into the idle color without the live color's leases, starts the
 * idle color with the channels and moves traffic while the freeze holds. A failure before traffic
 * moves runs `onFailure`: the idle color is removed and the live one resumes, traffic never left it.
 */
function upgradeSteps(ctx: HostContext, config: BlueGreenConfig): HostSteps {
  const name = ctx.host.name;
  const live = liveColor(ctx);
  const idle = otherColor(live);
  const idleState = config[idle].stateDir;
  const liveBinary = [releaseBinary(ctx.host, 'current')];
  const idleBinary = [releaseBinary(ctx.host, ctx.toVersion)];
  const snapshot = `${trimSlash(ctx.host.backupDir)}/handoff-${ctx.runId}.tar.gz`;
  const readyMs = ctx.config.runbook.timeouts.readySeconds * 1000;
  // The script talks to one color's gateway with that color's release; the record is always the live color's.
  const on = (color: Color) => (suffix: string, title: string, kind: StepKind, mode: HandoffMode, extra?: Record<string, string | number>, timeoutMs?: number) =>
    handoffStep(ctx, config, { suffix, title, kind, mode, color, record: live, binary: color === live ? liveBinary : idleBinary, ...(extra ? { extra } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
  const onLive = on(live);
  const onIdle = on(idle);

  const stopChannels = onLive('handoff-channels', `Stop ${live}'s channel accounts (messages wait at the provider until ${idle} takes them)`, 'install', 'stop-channels');
  const gate = gateBefore(stopChannels, `${name}:switch-traffic`,
    `Hand ${name} over from ${live} to ${idle} (openclaw ${ctx.toVersion}): ${live}'s channels stop and its writes freeze until ${idle} serves`, 'switch-traffic');
  const traffic = trafficSteps(ctx, config, idle, ctx.toVersion).steps;
  const reload = traffic.findIndex((step) => step.id === `${name}:nginx-reload`) + 1;
  const steps: PlanStep[] = [
    deleteColorStep(ctx, config, idle, 'idle-stop'),
    ...installSteps(ctx, ctx.toVersion),
    stopChannels,
    onLive('handoff-freeze', `Freeze ${live}'s writes (admitted work finishes, new work waits)`, 'wait', 'freeze',
      { requestId: `clawops-${ctx.runId}-${name}`, drainMs: DRAIN_MS }, DRAIN_MS + 60_000),
    hostStep(ctx, 'handoff-snapshot', `Final snapshot of ${live} to ${snapshot}`, 'backup',
      command(runbookCommand(ctx.config, 'backupCreate', { backupFile: snapshot }, liveBinary), stateEnv(config[live].stateDir)),
      { safeToRepeat: false, verify: runbookCommand(ctx.config, 'backupVerify', { backupFile: snapshot }, liveBinary) }),
    ...restoreStateSteps(ctx, { stateDir: idleState, keepAs: `${idleState}.replaced-${ctx.runId}`, binary: liveBinary, sourceStateDir: config[live].stateDir, backupFile: snapshot }),
    onIdle('handoff-leases', `Clear ${live}'s process leases from ${idle}'s copy`, 'restore', 'clear-leases', { stateDir: idleState }),
    ...startColorSteps(ctx, config, idle, ctx.toVersion, 'idle'),
    onIdle('handoff-channels-up', `${idle}'s channel accounts are connected (channels status --probe)`, 'verify', 'check-channels', { waitMs: readyMs }, readyMs + 60_000),
    onLive('handoff-held', `${live}'s freeze still holds`, 'verify', 'freeze-held', { marginMs: FREEZE_MARGIN_MS }),
    ...traffic.slice(0, reload),
    onLive('handoff-switched', 'Write freeze ends (measured)', 'probe', 'switched'),
    ...traffic.slice(reload),
    hostStep(ctx, 'old-stop', `Stop ${live} (${config[live].app}); its state dir ${config[live].stateDir} is kept`, 'switch',
      command(['pm2', 'stop', config[live].app], pm2Env(config.pm2Home)), { safeToRepeat: true }),
    ...switchLinkSteps(ctx, ctx.toVersion),
    hostStep(ctx, 'idle-doctor', `openclaw doctor on ${idle}`, 'verify',
      command(runbookCommand(ctx.config, 'doctor', {}, idleBinary), { OPENCLAW_STATE_DIR: idleState }), { safeToRepeat: true }),
    onLive('handoff-left', `What ${live} wrote after the handoff began (not in ${idle})`, 'probe', 'left-behind', { stateDir: config[live].stateDir }),
  ];
  const onFailure = [
    deleteColorStep(ctx, config, idle, 'undo-idle'),
    onLive('undo-resume', `Traffic stayed on ${live}: resume its writes and channel accounts`, 'restore', 'resume'),
  ];
  const warningsOut = [...warnings(ctx),
    `${name}: the handoff freezes ${live}'s writes from its final snapshot until traffic moves to ${idle}: about as long as ${idle}'s start with its migration `
    + `plus a channel check (≈ 20–35 s measured for 2026.9.5 → 2026.9.6 on 2 cores; the thread reports the real figure); ${live} keeps answering meanwhile and `
    + `channel messages wait at the provider. If ${idle} fails before traffic moves, it is removed and ${live} resumes`];
  return { steps, gates: [gate], warnings: warningsOut, onFailure };
}

export const blueGreenStrategy: StrategyPlanner<'blue-green'> = {
  kind: 'blue-green',
  binary: (ctx, _config, which) => [releaseBinary(ctx.host, which)],
  liveStateDir: (ctx, config) => config[liveColor(ctx)].stateDir,

  upgrade: upgradeSteps,

  rollback(ctx, config, mode): HostSteps {
    // After the upgrade the new version is live; the color to go back to is the other one.
    const now = liveColor(ctx);
    const back = otherColor(now);
    const backState = config[back].stateDir;
    const nowBinary = [releaseBinary(ctx.host, 'current')];
    const backBinary = [releaseBinary(ctx.host, ctx.toVersion)];
    const steps: PlanStep[] = [...installSteps(ctx, ctx.toVersion)];
    const kept = mode === 'restore' ? `the restored backup` : `${backState} as ${back} left it at the handoff (never opened by the new version, so no schema to undo)`;
    const warningsOut = [`${ctx.host.name}: ${back} comes back on ${kept}; whatever ${now} wrote since it took over is not carried back `
      + `(the last step counts it; ${config[now].stateDir} is kept). ${now}'s channels stop just before ${back} starts, so messages wait at the provider, never two pollers`];
    const restart = mode === 'restore' || ctx.facts.idleColorRunning !== true;
    if (restart) steps.push(deleteColorStep(ctx, config, back, 'back-stop'));
    if (mode === 'restore') {
      steps.push(...restoreStateSteps(ctx, { stateDir: backState, keepAs: `${backState}.rolled-back-${ctx.runId}`, binary: [releaseBinary(ctx.host, ctx.toVersion)] }));
    }
    const spec = { record: now, binary: nowBinary };
    steps.push(handoffStep(ctx, config, { ...spec, suffix: 'handoff-channels', title: `Stop ${now}'s channel accounts (messages wait at the provider until ${back} takes them)`, kind: 'install', mode: 'stop-channels', color: now }));
    if (restart) {
      steps.push(...startColorSteps(ctx, config, back, ctx.toVersion, 'back'));
    } else {
      steps.push(readyStep(ctx, colorBase(config, back), 'back-ready', `Check ${back} is ready (/readyz on port ${config[back].port})`));
    }
    const readyMs = ctx.config.runbook.timeouts.readySeconds * 1000;
    steps.push(handoffStep(ctx, config, { ...spec, binary: backBinary, suffix: 'handoff-channels-up', title: `${back}'s channel accounts are connected (channels status --probe)`, kind: 'verify', mode: 'check-channels', color: back, extra: { waitMs: readyMs }, timeoutMs: readyMs + 60_000 }));
    // The rollback plan's own `rollback` gate covers the switch back.
    const traffic = trafficSteps(ctx, config, back, ctx.toVersion);
    steps.push(
      ...traffic.steps,
      ...switchLinkSteps(ctx, ctx.toVersion),
      hostStep(ctx, 'new-stop', `Stop ${now} (${config[now].app}); its state dir is kept`, 'switch', command(['pm2', 'stop', config[now].app], pm2Env(config.pm2Home)), { safeToRepeat: true }),
      handoffStep(ctx, config, { ...spec, suffix: 'handoff-left', title: `What ${now} wrote since it took over (not carried back to ${back})`, kind: 'probe', mode: 'left-behind', color: now,
        extra: { stateDir: config[now].stateDir, sinceDir: trimSlash(ctx.host.backupDir), sinceSuffix: `-${back}.json` } }),
    );
    const onFailure = [deleteColorStep(ctx, config, back, 'undo-back'), handoffStep(ctx, config, { ...spec, suffix: 'undo-resume', title: `Traffic stayed on ${now}: start its channel accounts again`, kind: 'restore', mode: 'resume', color: now })];
    return { steps, gates: traffic.gates, warnings: warningsOut, onFailure };
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

  expectedDowntime: (_ctx, _config, plan) => plan === 'upgrade'
    ? 'none: traffic moves with an nginx reload (keep-alive clients may see one reset and retry); writes freeze during the handoff (the new color\'s start and migration) and channel messages wait at the provider meanwhile'
    : 'none: traffic moves with an nginx reload (keep-alive clients may see one reset and retry); channel messages wait at the provider while the old color starts',
};
