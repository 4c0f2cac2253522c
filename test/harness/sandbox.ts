/**
 * A whole local fleet, started for real: Redis, a package registry serving the OpenClaw double,
 * and two sshd hosts laid out the way clawops expects production hosts to be (each version in
 * its own prefix under the releases dir, a `current` link, the gateway under PM2 with its own
 * PM2_HOME). `staging-1` runs under PM2; `prod-1` runs blue-green behind nginx. Used by
 * `clawops demo` and by end-to-end tests.
 */
import type { z } from 'zod';
import type { configSchema } from '../../src/config/schema.js';
import { ClawopsError } from '../../src/errors.js';
import type { RemoteShell } from '../../src/remote/types.js';
import { startHosts, type TestFleet, type TestHost } from './hosts.js';
import { startNginx, type HostNginx } from './nginx.js';
import { installDouble, useRegistry, waitReady } from './openclaw.js';
import { pm2Kill } from './pm2.js';
import { startRedis, type RedisServer } from './redis.js';
import { startRegistry, type DoubleVersion, type TestRegistry } from './registry.js';

export const SANDBOX_RELEASES = '/opt/openclaw/releases';
export const SANDBOX_PM2_HOME = '/root/.pm2';

export interface SandboxOptions {
  shell: RemoteShell;
  /** Versions the registry serves (default 1.2.0, 1.3.0, 1.3.1-neverready). */
  versions?: ReadonlyArray<string | DoubleVersion>;
  /** Version running at start (default 1.2.0). */
  initialVersion?: string;
  /** Terminal users who may run and approve everything. */
  users?: readonly string[];
  /** Start-up delay of the double's gateway (default 300 ms). */
  startupMs?: number;
  /** Use this Redis instead of starting one. */
  redisUrl?: string;
}

export interface Sandbox {
  redisUrl: string;
  registry: TestRegistry;
  fleet: TestFleet;
  staging: TestHost;
  production: TestHost;
  nginx: HostNginx;
  /** Input for configSchema (validate with parseConfig / configSchema.parse). */
  config: z.input<typeof configSchema>;
  stop(): Promise<void>;
}

async function mustRun(shell: RemoteShell, host: TestHost, argv: string[], env?: Record<string, string>): Promise<void> {
  const result = await shell.run(host.target, argv, { timeoutMs: 120_000, ...(env ? { env } : {}) });
  if (result.exitCode !== 0) throw new ClawopsError('STEP_FAILED', `${argv.join(' ')} on ${host.name} exited ${result.exitCode}: ${result.stderr.trim().slice(-400)}`);
}

/** Installs a version side by side, points `current` at it and starts it under PM2. */
async function bringUpGateway(shell: RemoteShell, host: TestHost, version: string, app: string, port: number, stateDir: string, startupMs: number): Promise<void> {
  const prefix = `${SANDBOX_RELEASES}/${version}`;
  await installDouble(shell, host, version, { prefix });
  await mustRun(shell, host, ['ln', '-sfn', prefix, `${SANDBOX_RELEASES}/current`]);
  // A plain PM2 host runs the `current` link, so `pm2 reload` after a switch starts the new release;
  // a blue-green color runs its own release directory.
  const script = app === 'openclaw' ? `${SANDBOX_RELEASES}/current/bin/openclaw` : `${prefix}/bin/openclaw`;
  await mustRun(shell, host, ['pm2', 'start', script, '--name', app, '--interpreter', 'none', '--', 'gateway', 'run', '--port', String(port), '--bind', 'loopback'],
    { PM2_HOME: SANDBOX_PM2_HOME, OPENCLAW_STATE_DIR: stateDir, OPENCLAW_DOUBLE_STARTUP_MS: String(startupMs) });
  await waitReady(shell, host, { port, timeoutMs: 30_000 });
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { shell } = options;
  const versions = options.versions ?? ['1.2.0', '1.3.0', '1.3.1-neverready'];
  const initial = options.initialVersion ?? '1.2.0';
  const startupMs = options.startupMs ?? 300;
  const users = options.users ?? [];
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    let redisUrl = options.redisUrl;
    if (redisUrl === undefined) {
      const redis: RedisServer = await startRedis();
      cleanups.push(() => redis.stop());
      redisUrl = redis.url;
    }
    const fleet = await startHosts(2, { names: ['staging-1', 'prod-1'] });
    cleanups.push(() => fleet.stop());
    const registry = await startRegistry({ versions, listen: ['127.0.0.1', ...fleet.hosts.map((host) => host.gatewayAddress)], latest: '1.3.0' });
    cleanups.push(() => registry.stop());
    const [staging, production] = fleet.hosts as [TestHost, TestHost];
    await Promise.all(fleet.hosts.map((host) => useRegistry(host, registry)));
    cleanups.push(() => Promise.all(fleet.hosts.map((host) => pm2Kill(shell, host.target, { pm2Home: SANDBOX_PM2_HOME }).catch(() => undefined))));

    await Promise.all([
      bringUpGateway(shell, staging, initial, 'openclaw', 18789, '/root/.openclaw', startupMs),
      bringUpGateway(shell, production, initial, 'openclaw-blue', 18789, '/root/.openclaw', startupMs),
    ]);
    const nginx = await startNginx(shell, production.target, { port: 80, upstreamName: 'openclaw_backend', servers: ['127.0.0.1:18789'] });
    cleanups.push(() => nginx.stop());

    const common = { releasesDir: SANDBOX_RELEASES, backupDir: '/root/.clawops/backups', stateDir: '/root/.openclaw', env: { OPENCLAW_DOUBLE_STARTUP_MS: String(startupMs) } };
    const config: z.input<typeof configSchema> = {
      environments: {
        staging: {
          staging: true,
          hosts: [{ ...staging.hostConfig({ kind: 'pm2', app: 'openclaw', pm2Home: SANDBOX_PM2_HOME, port: 18789 }), ...common }],
        },
        production: {
          hosts: [{
            ...production.hostConfig({
              kind: 'blue-green', pm2Home: SANDBOX_PM2_HOME, publicUrl: `http://${production.address}:${nginx.port}`,
              blue: { port: 18789, stateDir: '/root/.openclaw', app: 'openclaw-blue' },
              green: { port: 19789, stateDir: '/root/.openclaw-green', app: 'openclaw-green' },
              nginx: { upstreamFile: nginx.upstreamFile, upstreamName: nginx.upstreamName, test: nginx.testArgv, reload: nginx.reloadArgv },
            }),
            ...common,
          }],
        },
      },
      runbook: { watch: { minutes: 0.25, intervalSeconds: 5 }, timeouts: { readySeconds: 30 } },
      approvals: { terminal: { users: [...users] }, allowSelfApproval: true, deadlineMinutes: 30 },
      authorization: users.length ? [{ terminalUsers: [...users], commands: ['*'] }] : [],
      redis: { url: redisUrl, prefix: 'clawops-demo' },
    };
    return { redisUrl, registry, fleet, staging, production, nginx, config, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
