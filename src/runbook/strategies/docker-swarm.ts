/**
 * docker swarm: `docker service update --image <image> --update-order start-first
 * --update-failure-action rollback <service>` — swarm starts the new task before stopping the
 * old one and rolls back by itself when the update fails. Rollback: `docker service update
 * --rollback <service>`. clawops cannot exec into a swarm task, so it takes no backup here.
 */
import type { StrategyConfig } from '../../config/schema.js';
import { command, healthBase, hostStep, type HostContext, type HostSteps } from '../context.js';
import { fillTemplate } from '../template.js';
import { readyStep } from '../steps.js';
import type { Endpoint, StrategyPlanner } from './types.js';

type SwarmConfig = Extract<StrategyConfig, { kind: 'docker-swarm' }>;

export const SWARM_PS_FORMAT = 'table {{.ID}}\\t{{.Image}}\\t{{.CurrentState}}';
const SWARM_IMAGE_FORMAT = '{{.Spec.TaskTemplate.ContainerSpec.Image}}';

export function swarmImage(config: SwarmConfig, version: string): string {
  return fillTemplate([config.image], { version }, 'docker-swarm image')[0] as string;
}

function watchSteps(ctx: HostContext, config: SwarmConfig) {
  return [
    hostStep(ctx, 'service-ps', `docker service ps ${config.service}`, 'probe', command(['docker', 'service', 'ps', config.service, '--format', SWARM_PS_FORMAT]), { safeToRepeat: true }),
    readyStep(ctx, healthBase(ctx.host)),
  ];
}

export const swarmStrategy: StrategyPlanner<'docker-swarm'> = {
  kind: 'docker-swarm',
  binary: () => null,
  liveStateDir: (ctx) => ctx.host.stateDir,

  upgrade(ctx, config): HostSteps {
    const image = swarmImage(config, ctx.toVersion);
    return {
      steps: [
        hostStep(ctx, 'service-update', `Rolling update of ${config.service} to ${image} (start-first)`, 'switch',
          command(['docker', 'service', 'update', '--image', image, '--update-order', 'start-first', '--update-failure-action', 'rollback', config.service]), {
            safeToRepeat: true,
            timeoutMs: ctx.config.runbook.timeouts.installSeconds * 1000,
          }),
        ...watchSteps(ctx, config),
      ],
      gates: [],
      warnings: [`${ctx.host.name}: docker-swarm: clawops cannot reach a swarm task to run \`openclaw backup\`; back up the service's volume yourself`],
    };
  },

  rollback(ctx, config, mode): HostSteps {
    const warnings = mode === 'restore'
      ? [`${ctx.host.name}: docker-swarm rollback across a schema change: restore the volume from the pre-upgrade backup by hand before approving`]
      : [];
    return {
      steps: [
        hostStep(ctx, 'service-rollback', `docker service update --rollback ${config.service}`, 'switch', command(['docker', 'service', 'update', '--rollback', config.service]), {
          safeToRepeat: false,
          timeoutMs: ctx.config.runbook.timeouts.installSeconds * 1000,
        }),
        ...watchSteps(ctx, config),
      ],
      gates: [],
      warnings,
    };
  },

  endpointAfter(ctx, config): Endpoint {
    return {
      base: healthBase(ctx.host),
      versionArgv: ['docker', 'service', 'inspect', '--format', SWARM_IMAGE_FORMAT, config.service],
      stateDir: ctx.host.stateDir,
      binary: null,
    };
  },

  expectedDowntime: () => 'none expected: swarm starts the new task before stopping the old one (start-first)',
};
