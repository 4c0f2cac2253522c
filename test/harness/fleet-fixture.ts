/**
 * A whole fleet for upgrade end-to-end tests, composed from the harness pieces: Redis, sshd
 * hosts, the double's registry, the double installed side by side with a real `npm install`
 * (`~/.clawops/releases/<version>`, `current` linked to it), the gateway under PM2 (pm2
 * strategy) or blue under PM2 behind nginx (blue-green), a fleet config built from the hosts,
 * and the real engine with the real planner (facts over SSH + buildPlan).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from '../../src/commands/types.js';
import { lastUpgradeFromHistory, createPlanner } from '../../src/bot/planner.js';
import { configSchema, type ClawopsConfig } from '../../src/config/schema.js';
import { createEngine, type Engine } from '../../src/jobs/engine.js';
import type { Requester } from '../../src/jobs/events.js';
import { createSshShell } from '../../src/remote/ssh-shell.js';
import type { RemoteShell } from '../../src/remote/types.js';
import { quietLogger } from '../jobs/fixtures.js';
import { record, type EventLog } from '../jobs/engine-harness.js';
import { startHosts, type HostConfigInput, type StrategyInput, type TestFleet, type TestHost } from './hosts.js';
import { startNginx, type HostNginx } from './nginx.js';
import { installDouble, startGatewayUnderPm2, useRegistry, waitReady } from './openclaw.js';
import { pm2Kill } from './pm2.js';
import { startRedis, type RedisServer } from './redis.js';
import { startRegistry, type DoubleVersion, type TestRegistry } from './registry.js';

export const ENVIRONMENT = 'production';
/** Where the fixture installs releases (the config's default `~/.clawops/releases` on a root host). */
export const RELEASES_DIR = '/root/.clawops/releases';
export const PM2_HOME = '/root/.pm2';
export const BLUE = { port: 18789, stateDir: '~/.openclaw', app: 'openclaw-blue' } as const;
export const GREEN = { port: 19789, stateDir: '~/.openclaw-green', app: 'openclaw-green' } as const;

export const requester: Requester = { platform: 'terminal', userId: 'alice', displayName: 'alice' };
export const approver = { platform: 'terminal', userId: 'bob', displayName: 'bob' } as const;

export interface UpgradeFleetOptions {
  strategy: 'pm2' | 'blue-green';
  hosts: number;
  /** Versions the registry serves. */
  versions: ReadonlyArray<string | DoubleVersion>;
  /** Installed and running on every host before the tests. */
  initialVersion: string;
  /** OPENCLAW_DOUBLE_STARTUP_MS of the gateways (kept across PM2 reloads); default 150. */
  startupMs?: number;
  /** Run a worker inside the engine (default true). */
  worker?: boolean;
  redisPrefix?: string;
  readySeconds?: number;
  /** Watch after the rollout; default 0.02 min every 1 s (two fleet-wide checks). */
  watch?: { minutes: number; intervalSeconds: number };
  /**
   * How the initial version is installed (pm2 only): `releases` (default) side by side under
   * RELEASES_DIR with `current` linked, the way clawops lays hosts out; `global` the usual way,
   * `npm i -g` into the host's global prefix (HOST_NPM_PREFIX) with PM2 running `openclaw` from PATH.
   */
  install?: 'releases' | 'global';
  /** Extra env of the gateway's PM2 app (pm2 strategy). */
  gatewayEnv?: Record<string, string>;
  /**
   * The initial gateway's `openclaw.json` (its state dir, /root/.openclaw), written before it
   * starts; called once per host after the hosts are up (e.g. to point a channel at a fake
   * listening on `host.gatewayAddress`). Default: none, the gateway writes its own.
   */
  gatewayConfig?: (host: TestHost) => Record<string, unknown> | Promise<Record<string, unknown>>;
}

export interface UpgradeFleet {
  redis: RedisServer;
  fleet: TestFleet;
  hosts: TestHost[];
  registry: TestRegistry;
  shell: RemoteShell;
  /** The fleet config as written (input shape); `config` is it parsed. */
  configInput: Record<string, unknown>;
  config: ClawopsConfig;
  engine: Engine;
  /** nginx per host (blue-green only), same order as `hosts`. */
  nginx: HostNginx[];
  upgrade(version: string): Extract<Command, { kind: 'upgrade' }>;
  rollback(): Extract<Command, { kind: 'rollback' }>;
  record(upgradeId: string): EventLog;
  /** The double's state schema number on a host (`state/openclaw.sqlite` of the state dir). */
  schemaOf(host: TestHost, stateDir?: string): Promise<number | null>;
  stop(): Promise<void>;
}

function strategyFor(options: UpgradeFleetOptions, host: TestHost): StrategyInput {
  if (options.strategy === 'pm2') return { kind: 'pm2', app: 'openclaw', pm2Home: PM2_HOME, port: 18789 };
  return {
    kind: 'blue-green', blue: { ...BLUE }, green: { ...GREEN }, pm2Home: PM2_HOME, publicUrl: `http://${host.address}:80`,
    nginx: {
      upstreamFile: '/opt/nginx/conf/upstream.conf', upstreamName: 'openclaw_backend', backendHost: '127.0.0.1',
      test: ['nginx', '-p', '/opt/nginx/', '-c', '/opt/nginx/conf/nginx.conf', '-e', '/opt/nginx/logs/error.log', '-t', '-q'],
      reload: ['nginx', '-p', '/opt/nginx/', '-c', '/opt/nginx/conf/nginx.conf', '-e', '/opt/nginx/logs/error.log', '-s', 'reload'],
    },
  };
}

/** Installs the initial release side by side, links `current`, starts the gateway (and nginx). */
async function prepareHost(shell: RemoteShell, host: TestHost, options: UpgradeFleetOptions): Promise<HostNginx | undefined> {
  const version = options.initialVersion;
  const prefix = `${RELEASES_DIR}/${version}`;
  if (options.gatewayConfig) {
    const stateDir = join(host.homeDir, '.openclaw');
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFile(join(stateDir, 'openclaw.json'), `${JSON.stringify(await options.gatewayConfig(host), null, 2)}\n`, { mode: 0o600 });
  }
  if (options.install === 'global' && options.strategy === 'pm2') {
    await installDouble(shell, host, version);
    const env = { OPENCLAW_DOUBLE_STARTUP_MS: String(options.startupMs ?? 150), ...options.gatewayEnv };
    await startGatewayUnderPm2(shell, host, { script: 'openclaw', port: 18789, stateDir: '/root/.openclaw', appName: 'openclaw', pm2Home: PM2_HOME, env });
    await waitReady(shell, host, { port: 18789, intervalMs: 30 });
    return undefined;
  }
  await installDouble(shell, host, version, { prefix });
  const link = await shell.run(host.target, ['ln', '-sfn', prefix, `${RELEASES_DIR}/current`]);
  if (link.exitCode !== 0) throw new Error(`linking current on ${host.name}: ${link.stderr}`);
  const env = { OPENCLAW_DOUBLE_STARTUP_MS: String(options.startupMs ?? 150) };
  if (options.strategy === 'pm2') {
    await startGatewayUnderPm2(shell, host, { prefix: `${RELEASES_DIR}/current`, port: 18789, stateDir: '/root/.openclaw', appName: 'openclaw', pm2Home: PM2_HOME, env: { ...env, ...options.gatewayEnv } });
    await waitReady(shell, host, { port: 18789, intervalMs: 30 });
    return undefined;
  }
  await startGatewayUnderPm2(shell, host, { prefix, port: BLUE.port, stateDir: '/root/.openclaw', appName: BLUE.app, pm2Home: PM2_HOME, env });
  await waitReady(shell, host, { port: BLUE.port, intervalMs: 30 });
  return startNginx(shell, host.target, { servers: [`127.0.0.1:${BLUE.port}`], port: 80 });
}

/** The fleet config (input shape) for the hosts: one environment, approvals by `approver`. */
export function fleetConfigInput(hosts: readonly TestHost[], options: Pick<UpgradeFleetOptions, 'strategy' | 'readySeconds' | 'watch' | 'redisPrefix'> & { hosts?: number }, redisUrl: string): Record<string, unknown> {
  const hostEntries: HostConfigInput[] = hosts.map((host) => host.hostConfig(strategyFor({ ...options, hosts: hosts.length, versions: [], initialVersion: '' }, host)));
  return {
    environments: { [ENVIRONMENT]: { hosts: hostEntries } },
    runbook: {
      timeouts: { readySeconds: options.readySeconds ?? 20, commandSeconds: 60, installSeconds: 120 },
      watch: options.watch ?? { minutes: 0.02, intervalSeconds: 1 },
    },
    approvals: { terminal: { users: [approver.userId] } },
    redis: { url: redisUrl, prefix: options.redisPrefix ?? 'e2e' },
  };
}

/** The engine every fixture runs: the real planner, history from the engine's own audit. */
export async function fixtureEngine(config: ClawopsConfig, shell: RemoteShell, worker: boolean): Promise<Engine> {
  const engine: Engine = await createEngine({
    config, shell, logger: quietLogger(),
    planner: createPlanner({ config, shell, lastUpgrade: lastUpgradeFromHistory((environment, limit) => engine.audit.listHistory(environment, limit)) }),
    worker,
  });
  return engine;
}

export async function startUpgradeFleet(options: UpgradeFleetOptions): Promise<UpgradeFleet> {
  const shell = createSshShell();
  let redis: RedisServer | undefined;
  let fleet: TestFleet | undefined;
  let registry: TestRegistry | undefined;
  let engine: Engine | undefined;
  const nginx: HostNginx[] = [];
  const stop = async () => {
    await engine?.close().catch(() => undefined);
    if (fleet) {
      await Promise.all(fleet.hosts.map(async (host) => {
        await pm2Kill(shell, host.target, { pm2Home: PM2_HOME }).catch(() => undefined);
      }));
      await Promise.all(nginx.map((instance) => instance.stop().catch(() => undefined)));
    }
    await shell.close();
    await fleet?.stop();
    await registry?.stop();
    await redis?.stop();
  };
  try {
    [redis, fleet] = await Promise.all([startRedis(), startHosts(options.hosts, { npmrc: ['logs-max=200'] })]);
    const hosts = fleet.hosts;
    registry = await startRegistry({ versions: options.versions, listen: ['127.0.0.1', ...hosts.map((host) => host.gatewayAddress)] });
    await Promise.all(hosts.map((host) => useRegistry(host, registry as TestRegistry)));
    const prepared = await Promise.all(hosts.map((host) => prepareHost(shell, host, options)));
    nginx.push(...prepared.filter((entry): entry is HostNginx => entry !== undefined));
    const configInput = fleetConfigInput(hosts, options, redis.url);
    const config = configSchema.parse(configInput);
    engine = await fixtureEngine(config, shell, options.worker ?? true);
    const ready: Engine = engine;
    const readyRegistry: TestRegistry = registry;
    const readyRedis: RedisServer = redis;
    const readyFleet: TestFleet = fleet;
    return {
      redis: readyRedis, fleet: readyFleet, hosts, registry: readyRegistry, shell, configInput, config, engine: ready, nginx,
      upgrade: (version) => ({ kind: 'upgrade', version, environment: ENVIRONMENT, dryRun: false, skipStaging: false }),
      rollback: () => ({ kind: 'rollback', environment: ENVIRONMENT, dryRun: false }),
      record: (upgradeId) => record(ready, upgradeId),
      async schemaOf(host, stateDir = '/root/.openclaw') {
        const result = await shell.run(host.target, ['cat', `${stateDir}/state/openclaw.sqlite`]);
        if (result.exitCode !== 0) return null;
        return (JSON.parse(result.stdout) as { userVersion?: number }).userVersion ?? null;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** How many `npm install` runs on a host installed `version` side by side (npm's own debug logs, `logs-max=200`). */
export async function npmInstallRuns(host: TestHost, version: string): Promise<number> {
  const dir = join(host.homeDir, '.npm', '_logs');
  const files = existsSync(dir) ? (await readdir(dir)).filter((name) => name.endsWith('.log')) : [];
  const texts = await Promise.all(files.map((name) => readFile(join(dir, name), 'utf8')));
  const prefix = JSON.stringify(`${RELEASES_DIR}/${version}`);
  return texts.filter((text) => text.split('\n').some((line) => / verbose argv "install"/.test(line) && line.includes(prefix))).length;
}
