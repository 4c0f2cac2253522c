/** The shape every strategy module (pm2, systemd, blue-green, docker-compose, docker-swarm) implements. */
import type { StrategyConfig, StrategyKind } from '../../config/schema.js';
import type { HostContext, HostSteps } from '../context.js';

/** How a rollback brings the old version back. */
export type RollbackMode =
  /** The old release is still installed: switch back to it, reload/restart. */
  | 'switch'
  /** The data schema moved forward (or `--from-backup`): stop, restore the backup, switch, start. */
  | 'restore';

/** Where the gateway serves after a plan, for the verify steps. */
export interface Endpoint {
  /** Base URL as seen from the host (`/healthz`, `/readyz` are appended). */
  base: string;
  /** argv whose output carries the running version. */
  versionArgv: readonly string[];
  versionEnv?: Readonly<Record<string, string>>;
  /**
   * What the *running* gateway reports (`gateway status --json` → rpc.server.version): the health
   * check asks the process, because files on disk (or the `current` link) change before it restarts.
   */
  running?: { argv: readonly string[]; env: Readonly<Record<string, string>> };
  /** The state dir and binary for `openclaw doctor`; null binary = no doctor (swarm). */
  stateDir: string;
  binary: readonly string[] | null;
}

export interface StrategyPlanner<K extends StrategyKind = StrategyKind> {
  kind: K;
  /**
   * The argv prefix that runs `openclaw` on this host: `current` = the release serving now,
   * or a given version. null when clawops cannot run it there (swarm tasks).
   */
  binary(ctx: HostContext, config: Extract<StrategyConfig, { kind: K }>, which: 'current' | string): string[] | null;
  /** The state dir of the gateway serving now (backed up before the upgrade). */
  liveStateDir(ctx: HostContext, config: Extract<StrategyConfig, { kind: K }>): string;
  /** Steps after the host's backup, ending once the new version is ready on the host. */
  upgrade(ctx: HostContext, config: Extract<StrategyConfig, { kind: K }>): HostSteps;
  rollback(ctx: HostContext, config: Extract<StrategyConfig, { kind: K }>, mode: RollbackMode): HostSteps;
  /** Where to verify once this plan's steps ran on the host (`changed` false: the host was left as it is). */
  endpointAfter(ctx: HostContext, config: Extract<StrategyConfig, { kind: K }>, changed: boolean): Endpoint;
  /** Honest expected downtime for one host. */
  expectedDowntime(ctx: HostContext, config: Extract<StrategyConfig, { kind: K }>, plan: 'upgrade' | 'rollback', mode?: RollbackMode): string;
}
