/**
 * systemd: install side by side, switch `<releasesDir>/current`, `systemctl daemon-reload`, then
 * `systemctl reload` when the unit has a usable ExecReload, else `systemctl restart` (announced
 * as downtime). A SIGUSR2 ExecReload kills OpenClaw at once, so such a unit is restarted instead.
 * A unit whose ExecStart runs openclaw from elsewhere is adopted with a drop-in and restarted
 * (src/runbook/adopt-systemd.ts); a rollback of such a unit is refused (switching changes nothing).
 */
import type { StrategyConfig } from '../../config/schema.js';
import { ClawopsError } from '../../errors.js';
import { adoptionFor, runningBinary, runsLink } from '../adopt.js';
import { parseExecStart } from '../adopt-exec-start.js';
import { systemdAdoptionWarning, systemdAdoptSteps } from '../adopt-systemd.js';
import { command, healthBase, hostStep, releaseBinary, type HostContext, type HostSteps } from '../context.js';
import { currentReleaseEndpoint, installSteps, readyStep, stoppedRestoreSteps, switchLinkSteps } from '../steps.js';
import { markedRestartSteps } from '../restart-mark.js';
import type { PlanStep } from '../types.js';
import type { StrategyPlanner } from './types.js';

type SystemdConfig = Extract<StrategyConfig, { kind: 'systemd' }>;

const RESTART_DOWNTIME = '≈ start-up time (4–12 s per host): `systemctl restart` stops, then starts the gateway — use blue-green for zero downtime';

/** `systemctl`, `sudo -n systemctl` or `systemctl --user` (sudo makes no sense for a user unit). */
export function systemctl(config: SystemdConfig): string[] {
  if (config.user) return ['systemctl', '--user'];
  return config.sudo ? ['sudo', '-n', 'systemctl'] : ['systemctl'];
}

function usesUsr2(execReload: string | undefined): boolean {
  return execReload !== undefined && /\b(?:SIG)?USR2\b|-s\s*12\b|-12\b/i.test(execReload);
}

/** Whether `systemctl reload` is safe: the unit has ExecReload and it does not send SIGUSR2. */
export function canReload(ctx: HostContext): boolean {
  return ctx.facts.systemdHasExecReload === true && !usesUsr2(ctx.facts.systemdExecReload);
}

function warnings(ctx: HostContext, config: SystemdConfig): string[] {
  const name = ctx.host.name;
  const out: string[] = [];
  if (usesUsr2(ctx.facts.systemdExecReload)) {
    out.push(`${name}: ${config.unit} ExecReload sends SIGUSR2, which kills OpenClaw at once — clawops restarts the unit instead; remove that ExecReload`);
  } else if (ctx.facts.systemdHasExecReload !== true) {
    out.push(`${name}: ${config.unit} has no ExecReload: the upgrade restarts it (${RESTART_DOWNTIME})`);
  }
  if (config.user && config.sudo) out.push(`${name}: systemd sudo is ignored for a --user unit`);
  return out;
}

/** Whether the unit's ExecStart is known and runs something other than the link. */
function runsElsewhere(ctx: HostContext): string | null {
  const execStart = ctx.facts.systemdExecStart;
  if (execStart === undefined) return null;
  const parsed = parseExecStart(execStart);
  return parsed !== null && runsLink(parsed.program, ctx.host) ? null : execStart;
}

/** Refuses a rollback on a unit that does not run the link: switching `current` back would change nothing. */
function assertRunsLink(ctx: HostContext, config: SystemdConfig): void {
  const execStart = runsElsewhere(ctx);
  if (execStart === null) return;
  throw new ClawopsError('PLAN_INVALID', `${ctx.host.name}: ${config.unit} ExecStart runs ${execStart}, not ${releaseBinary(ctx.host, 'current')}, so switching releases back changes nothing: `
    + 'this host was never upgraded by clawops. Roll it back by hand, or upgrade it once with clawops, which points the unit at the link with a drop-in',
  { host: ctx.host.name, execStart });
}

function applySteps(ctx: HostContext, config: SystemdConfig, forceRestart = false): PlanStep[] {
  const ctl = systemctl(config);
  // A new ExecStart takes effect only on a restart.
  const verb = canReload(ctx) && !forceRestart ? 'reload' : 'restart';
  return [
    hostStep(ctx, 'daemon-reload', 'systemctl daemon-reload', 'switch', command([...ctl, 'daemon-reload']), { safeToRepeat: true }),
    ...markedRestartSteps(ctx, { kind: 'systemd', unit: config.unit, user: config.user, verb }, verb,
      `systemctl ${verb} ${config.unit}${verb === 'restart' ? ' (downtime)' : ''}`, command([...ctl, verb, config.unit])),
    readyStep(ctx, healthBase(ctx.host)),
  ];
}

export const systemdStrategy: StrategyPlanner<'systemd'> = {
  kind: 'systemd',
  // Before adoption the unit still runs its own openclaw (backup, version probe use it).
  binary: (ctx, _config, which) => which === 'current' ? runningBinary(ctx) : [releaseBinary(ctx.host, which)],
  liveStateDir: (ctx) => ctx.host.stateDir,

  upgrade(ctx, config): HostSteps {
    const adoption = adoptionFor(ctx);
    if (adoption === null || adoption.supervisor !== 'systemd') {
      return { steps: [...installSteps(ctx, ctx.toVersion), ...switchLinkSteps(ctx, ctx.toVersion), ...applySteps(ctx, config)], gates: [], warnings: warnings(ctx, config) };
    }
    const running = ctx.fromVersion === null ? [] : installSteps(ctx, ctx.fromVersion, 'install-running');
    return {
      steps: [
        ...installSteps(ctx, ctx.toVersion), ...running, ...switchLinkSteps(ctx, ctx.toVersion),
        ...systemdAdoptSteps(ctx, config, adoption), ...applySteps(ctx, config, true),
      ],
      gates: [],
      warnings: [systemdAdoptionWarning(ctx, config, adoption), ...warnings(ctx, config)],
    };
  },

  rollback(ctx, config, mode): HostSteps {
    assertRunsLink(ctx, config);
    if (mode === 'switch') {
      return { steps: [...installSteps(ctx, ctx.toVersion), ...switchLinkSteps(ctx, ctx.toVersion), ...applySteps(ctx, config)], gates: [], warnings: [] };
    }
    const ctl = systemctl(config);
    const stateDir = ctx.host.stateDir;
    return {
      steps: [
        ...installSteps(ctx, ctx.toVersion),
        ...stoppedRestoreSteps(ctx, { stateDir, keepAs: `${stateDir}.rolled-back-${ctx.runId}`, binary: [releaseBinary(ctx.host, ctx.toVersion)] },
          hostStep(ctx, 'stop', `systemctl stop ${config.unit}`, 'switch', command([...ctl, 'stop', config.unit]), { safeToRepeat: true })),
        hostStep(ctx, 'daemon-reload', 'systemctl daemon-reload', 'switch', command([...ctl, 'daemon-reload']), { safeToRepeat: true }),
        hostStep(ctx, 'start', `systemctl start ${config.unit}`, 'switch', command([...ctl, 'start', config.unit]), { safeToRepeat: true }),
        readyStep(ctx, healthBase(ctx.host)),
      ],
      gates: [],
      warnings: [],
    };
  },

  endpointAfter: (ctx) => currentReleaseEndpoint(ctx),

  expectedDowntime(ctx, config, _plan, mode) {
    if (mode === 'restore') return 'stopped from `systemctl stop` until ready on the old version: state swap + start-up (≈ 5–15 s per host; the backup is extracted before the stop)';
    return canReload(ctx) && runsElsewhere(ctx) === null
      ? `\`systemctl reload ${config.unit}\` runs the unit's ExecReload; OpenClaw has no in-place reload, so if it restarts the gateway expect ≈ 4–12 s per host`
      : RESTART_DOWNTIME;
  },
};
