/**
 * docker compose: `env <VAR>=<version> docker compose -f <file> [-p <project>] pull <service>`,
 * then `… up -d --no-deps <service>`, then poll the app (podman and plain compose healthchecks
 * cannot be relied on). Compose recreates the container stop-first — `order: start-first` is a
 * swarm feature — so this is a restart and the plan says so.
 */
import type { StrategyConfig } from '../../config/schema.js';
import { command, gateBefore, healthBase, hostStep, type HostContext, type HostSteps } from '../context.js';
import { runbookCommand } from '../template.js';
import { readyStep } from '../steps.js';
import type { Endpoint, StrategyPlanner } from './types.js';

type ComposeConfig = Extract<StrategyConfig, { kind: 'docker-compose' }>;

export const COMPOSE_DOWNTIME = 'restart: compose recreates the container stop-first (start-first is a swarm feature) — ≈ start-up time (4–12 s per host); use blue-green for zero downtime';

/** `env VAR=<version> docker compose -f <file> [-p <project>]`: the compose file reads the image tag from VAR. */
export function composeBase(config: ComposeConfig, version: string): string[] {
  return ['env', `${config.versionVariable}=${version}`, 'docker', 'compose', '-f', config.file, ...(config.projectName === undefined ? [] : ['-p', config.projectName])];
}

function applySteps(ctx: HostContext, config: ComposeConfig, version: string) {
  const base = composeBase(config, version);
  return [
    hostStep(ctx, 'pull', `Pull the ${config.service} image for ${version}`, 'install', command([...base, 'pull', config.service]), {
      safeToRepeat: true,
      timeoutMs: ctx.config.runbook.timeouts.installSeconds * 1000,
    }),
    hostStep(ctx, 'up', `Recreate ${config.service} on ${version} (restart)`, 'switch', command([...base, 'up', '-d', '--no-deps', config.service]), { safeToRepeat: true }),
    readyStep(ctx, healthBase(ctx.host), 'ready', 'Wait until the new container is ready (/readyz)'),
  ];
}

function version(ctx: HostContext, which: 'current' | string): string {
  return which === 'current' ? (ctx.fromVersion ?? ctx.toVersion) : which;
}

export const composeStrategy: StrategyPlanner<'docker-compose'> = {
  kind: 'docker-compose',
  binary: (ctx, config, which) => [...composeBase(config, version(ctx, which)), 'exec', '-T', config.service, 'openclaw'],
  liveStateDir: (ctx) => ctx.host.stateDir,

  upgrade(ctx, config): HostSteps {
    return {
      steps: applySteps(ctx, config, ctx.toVersion),
      gates: [],
      warnings: [`${ctx.host.name}: the backup is written inside the ${config.service} container (${ctx.backupFile}); mount ${ctx.host.backupDir} as a volume so it outlives the recreate`],
    };
  },

  rollback(ctx, config, mode): HostSteps {
    const steps = applySteps(ctx, config, ctx.toVersion);
    // Without the running version (read inside the container) nothing says the schema stayed put,
    // and a blind switch-back to an older image on a migrated volume crash-loops (exit 78).
    const unknownFrom = mode === 'switch' && ctx.fromVersion === null;
    if (mode === 'switch' && !unknownFrom) return { steps, gates: [], warnings: [] };
    // The state lives in a volume clawops does not manage: a person restores it, then approves.
    const why = unknownFrom ? `clawops could not read the version running in ${config.service}, so it cannot tell whether ${ctx.toVersion} reads its state` : 'the data schema moved forward';
    const first = steps[0];
    const gates = first === undefined ? [] : [gateBefore(first, `${ctx.host.name}:schema-change`,
      `Restore ${ctx.backupFile} into ${config.service}'s volume (stopped) before ${ctx.toVersion} starts: it refuses a newer schema (exit 78)${unknownFrom ? `; ${why}` : ''}`, 'schema-change')];
    return { steps, gates, warnings: [`${ctx.host.name}: docker-compose rollback (${why}) needs the volume restored from ${ctx.backupFile} by hand (clawops waits at a gate)`] };
  },

  endpointAfter(ctx, config): Endpoint {
    const binary = [...composeBase(config, ctx.toVersion), 'exec', '-T', config.service, 'openclaw'];
    return { base: healthBase(ctx.host), versionArgv: runbookCommand(ctx.config, 'version', {}, binary), stateDir: ctx.host.stateDir, binary };
  },

  expectedDowntime: () => COMPOSE_DOWNTIME,
};
