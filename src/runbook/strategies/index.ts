/** The strategy registry: one planner per StrategyKind. */
import type { StrategyConfig } from '../../config/schema.js';
import type { HostContext, HostSteps } from '../context.js';
import { blueGreenStrategy } from './blue-green.js';
import { composeStrategy } from './docker-compose.js';
import { swarmStrategy } from './docker-swarm.js';
import { pm2Strategy } from './pm2.js';
import { systemdStrategy } from './systemd.js';
import type { Endpoint, RollbackMode, StrategyPlanner } from './types.js';

export type { Endpoint, RollbackMode, StrategyPlanner } from './types.js';

const planners = {
  pm2: pm2Strategy,
  systemd: systemdStrategy,
  'blue-green': blueGreenStrategy,
  'docker-compose': composeStrategy,
  'docker-swarm': swarmStrategy,
} as const;

/** A planner bound to one host's strategy config, so callers need not narrow the union. */
export interface BoundStrategy {
  kind: StrategyConfig['kind'];
  binary(which: 'current' | string): string[] | null;
  liveStateDir(): string;
  upgrade(): HostSteps;
  rollback(mode: RollbackMode): HostSteps;
  endpointAfter(changed: boolean): Endpoint;
  expectedDowntime(plan: 'upgrade' | 'rollback', mode?: RollbackMode): string;
}

export function bindStrategy(ctx: HostContext): BoundStrategy {
  return bind(ctx, ctx.host.strategy);
}

function bind<C extends StrategyConfig>(ctx: HostContext, config: C): BoundStrategy {
  const planner = planners[config.kind] as unknown as StrategyPlanner<C['kind']>;
  const typed = config as unknown as Extract<StrategyConfig, { kind: C['kind'] }>;
  return {
    kind: config.kind,
    binary: (which) => planner.binary(ctx, typed, which),
    liveStateDir: () => planner.liveStateDir(ctx, typed),
    upgrade: () => planner.upgrade(ctx, typed),
    rollback: (mode) => planner.rollback(ctx, typed, mode),
    endpointAfter: (changed) => planner.endpointAfter(ctx, typed, changed),
    expectedDowntime: (plan, mode) => planner.expectedDowntime(ctx, typed, plan, mode),
  };
}
