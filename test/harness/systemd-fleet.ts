/**
 * A fleet for systemd upgrade end-to-end tests: Redis, hosts with a booted systemd
 * (systemd-host.ts), the double's registry, the double installed side by side with a real
 * `npm install` and run by an `openclaw.service` unit, and the real engine and planner — the
 * systemd counterpart of fleet-fixture.ts, whose config and constants it shares.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Command } from '../../src/commands/types.js';
import { configSchema, type ClawopsConfig } from '../../src/config/schema.js';
import type { Engine } from '../../src/jobs/engine.js';
import { createSshShell } from '../../src/remote/ssh-shell.js';
import type { RemoteShell } from '../../src/remote/types.js';
import { record, type EventLog } from '../jobs/engine-harness.js';
import { ENVIRONMENT, RELEASES_DIR, fixtureEngine, fleetConfigInput } from './fleet-fixture.js';
import { installDouble, openclawBin, useRegistry, waitReady } from './openclaw.js';
import { startRedis, type RedisServer } from './redis.js';
import { startRegistry, type DoubleVersion, type TestRegistry } from './registry.js';
import { startSystemdHosts, type SystemdFleet, type SystemdHost } from './systemd-host.js';

export const UNIT = 'openclaw.service';
export const PORT = 18789;

export interface SystemdHostSpec {
  name: string;
  /** The unit has `ExecReload=/bin/kill -HUP $MAINPID` (the usual line; with Restart=always the gateway comes back on the new release). */
  execReload?: boolean;
  /** `strategy.sudo`: systemctl runs as `sudo -n systemctl`. */
  sudo?: boolean;
  /** The initial version is installed with `npm i -g` and the unit runs it from there (clawops adopts it). */
  global?: boolean;
}

export interface SystemdFleetOptions {
  hosts: readonly SystemdHostSpec[];
  versions: ReadonlyArray<string | DoubleVersion>;
  initialVersion: string;
  redisPrefix: string;
  readySeconds?: number;
}

export interface SystemdUpgradeFleet {
  redis: RedisServer;
  fleet: SystemdFleet;
  hosts: SystemdHost[];
  registry: TestRegistry;
  shell: RemoteShell;
  config: ClawopsConfig;
  engine: Engine;
  upgrade(version: string): Extract<Command, { kind: 'upgrade' }>;
  rollback(): Extract<Command, { kind: 'rollback' }>;
  record(upgradeId: string): EventLog;
  /** `systemctl show` of the unit: MainPID, InvocationID, NRestarts, ActiveState… */
  show(host: SystemdHost): Promise<Record<string, string>>;
  /** The double's state schema number on a host. */
  schemaOf(host: SystemdHost): Promise<number | null>;
  stop(): Promise<void>;
}

/** The double's environment in the unit: its state dir and a 150 ms start-up. */
const DOUBLE_ENV = { HOME: '/root', OPENCLAW_STATE_DIR: '/root/.openclaw', OPENCLAW_DOUBLE_STARTUP_MS: '150' };

/** The unit an operator would write for the gateway (Restart=always: a crashed gateway comes back). */
export function openclawUnit(binary: string, execReload: boolean, env: Readonly<Record<string, string>> = DOUBLE_ENV): string {
  return [
    '[Unit]', 'Description=OpenClaw gateway (clawops test host)',
    // A release that keeps exiting on start ends `failed` after 5 starts within 10 s.
    'StartLimitIntervalSec=10', 'StartLimitBurst=5',
    '[Service]',
    `Environment=${Object.entries(env).map(([key, value]) => `${key}=${value}`).join(' ')}`,
    `ExecStart=${binary} gateway run --port ${PORT} --bind loopback`,
    ...(execReload ? ['ExecReload=/bin/kill -HUP $MAINPID'] : []),
    'Restart=always', 'RestartSec=200ms', 'TimeoutStopSec=15', '',
  ].join('\n');
}

async function prepareHost(shell: RemoteShell, host: SystemdHost, spec: SystemdHostSpec, version: string): Promise<void> {
  let binary: string;
  if (spec.global === true) {
    binary = await installDouble(shell, host, version);
  } else {
    const prefix = `${RELEASES_DIR}/${version}`;
    await installDouble(shell, host, version, { prefix });
    const link = await shell.run(host.target, ['ln', '-sfn', prefix, `${RELEASES_DIR}/current`]);
    if (link.exitCode !== 0) throw new Error(`linking current on ${host.name}: ${link.stderr}`);
    binary = openclawBin(`${RELEASES_DIR}/current`);
  }
  await host.writeUnit(UNIT, openclawUnit(binary, spec.execReload === true));
  await host.systemctl(['start', UNIT]);
  await waitReady(shell, host, { port: PORT, intervalMs: 30 });
}

export async function startSystemdUpgradeFleet(options: SystemdFleetOptions): Promise<SystemdUpgradeFleet> {
  const shell = createSshShell();
  let redis: RedisServer | undefined;
  let fleet: SystemdFleet | undefined;
  let registry: TestRegistry | undefined;
  let engine: Engine | undefined;
  const stop = async () => {
    await engine?.close().catch(() => undefined);
    await shell.close();
    await fleet?.stop();
    await registry?.stop();
    await redis?.stop();
  };
  try {
    [redis, fleet] = await Promise.all([startRedis(), startSystemdHosts(options.hosts.map((spec) => spec.name), { npmrc: ['logs-max=200'] })]);
    const hosts = fleet.hosts;
    registry = await startRegistry({ versions: options.versions, listen: ['127.0.0.1', ...hosts.map((host) => host.gatewayAddress)] });
    await Promise.all(hosts.map((host) => useRegistry(host, registry as TestRegistry)));
    await Promise.all(hosts.map((host, index) => prepareHost(shell, host, options.hosts[index] as SystemdHostSpec, options.initialVersion)));
    const configInput = fleetConfigInput(hosts, { strategy: 'pm2', readySeconds: options.readySeconds ?? 20, redisPrefix: options.redisPrefix }, redis.url);
    // The same config as the PM2 fixture's, each host on its unit instead.
    configInput.environments = { [ENVIRONMENT]: { hosts: hosts.map((host, index) => host.hostConfig({ kind: 'systemd', unit: UNIT, port: PORT, sudo: options.hosts[index]?.sudo === true })) } };
    const config = configSchema.parse(configInput);
    engine = await fixtureEngine(config, shell, true);
    const ready: Engine = engine;
    return {
      redis, fleet, hosts, registry, shell, config, engine: ready,
      upgrade: (version) => ({ kind: 'upgrade', version, environment: ENVIRONMENT, dryRun: false, skipStaging: false }),
      rollback: () => ({ kind: 'rollback', environment: ENVIRONMENT, dryRun: false }),
      record: (upgradeId) => record(ready, upgradeId),
      async show(host) {
        const text = await host.systemctl(['show', UNIT, '-p', 'MainPID,InvocationID,NRestarts,ActiveState,SubState,ExecMainStartTimestampMonotonic']);
        return Object.fromEntries(text.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      },
      async schemaOf(host) {
        const text = await readFile(join(host.homeDir, '.openclaw', 'state', 'openclaw.sqlite'), 'utf8').catch(() => null);
        return text === null ? null : (JSON.parse(text) as { userVersion?: number }).userVersion ?? null;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
