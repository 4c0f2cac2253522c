/**
 * What every benchmark stands on: a private Redis, the local npm registry with the OpenClaw
 * double 1.2.0 and 1.3.0, sshd test hosts (test/harness), and helpers that put a host into the
 * state clawops expects before an upgrade: releases side by side under /root/.clawops/releases,
 * `current` pointing at 1.2.0, the gateway under PM2 running `current/bin/openclaw`.
 */
import { pino, type Logger } from 'pino';
import { configSchema, type ClawopsConfig } from '../../src/config/schema.js';
import { createSshShell } from '../../src/remote/ssh-shell.js';
import type { RemoteShell } from '../../src/remote/types.js';
import { startHosts, type TestFleet, type TestHost } from '../../test/harness/hosts.js';
import { installDouble, startGatewayUnderPm2, useRegistry, waitReady } from '../../test/harness/openclaw.js';
import { startRedis, type RedisServer } from '../../test/harness/redis.js';
import { startRegistry, type TestRegistry } from '../../test/harness/registry.js';

export const FROM = '1.2.0';
export const TO = '1.3.0';
export const RELEASES = '/root/.clawops/releases';
export const BACKUPS = '/root/.clawops/backups';
export const STATE = '/root/.openclaw';
export const REQUESTER = { platform: 'terminal', userId: 'bench-requester', displayName: 'bench' } as const;
export const APPROVER = { platform: 'terminal', userId: 'bench-approver', displayName: 'approver', decision: 'approve' } as const;

export interface Stack {
  redis: RedisServer;
  registry: TestRegistry;
  fleet: TestFleet;
  shell: RemoteShell;
  stop(): Promise<void>;
}

/** Starts Redis, the registry and `hosts` sshd hosts (their npm pointed at the registry). */
export async function startStack(hosts: number): Promise<Stack> {
  const [redis, fleet] = await Promise.all([startRedis(), startHosts(hosts)]);
  const registry = await startRegistry({ versions: [FROM, TO], listen: ['127.0.0.1', ...fleet.hosts.map((host) => host.gatewayAddress)] });
  await Promise.all(fleet.hosts.map((host) => useRegistry(host, registry)));
  const shell = createSshShell();
  return {
    redis, registry, fleet, shell,
    async stop() {
      await shell.close().catch(() => undefined);
      await fleet.stop().catch(() => undefined);
      await registry.stop().catch(() => undefined);
      await redis.stop().catch(() => undefined);
    },
  };
}

export async function must(shell: RemoteShell, host: TestHost, argv: readonly string[], env?: Record<string, string>): Promise<string> {
  const result = await shell.run(host.target, argv, { timeoutMs: 120_000, ...(env ? { env } : {}) });
  if (result.exitCode !== 0) throw new Error(`${host.name}: ${argv.join(' ')} exited ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}

/** Real `npm install -g --prefix <releases>/<v>` of each version (the way the plan installs). */
export async function installReleases(shell: RemoteShell, host: TestHost, versions: readonly string[]): Promise<void> {
  for (const version of versions) await installDouble(shell, host, version, { prefix: `${RELEASES}/${version}` });
}

export async function linkCurrent(shell: RemoteShell, host: TestHost, version: string): Promise<void> {
  await must(shell, host, ['ln', '-sfn', `${RELEASES}/${version}`, `${RELEASES}/current`]);
}

/** The gateway under PM2 (fork mode, the binary itself) on the `current` release. */
export async function startPm2Gateway(shell: RemoteShell, host: TestHost, options: { app?: string; port?: number; stateDir?: string; startupMs?: number } = {}): Promise<void> {
  const port = options.port ?? 18789;
  await startGatewayUnderPm2(shell, host, {
    prefix: `${RELEASES}/current`, port, stateDir: options.stateDir ?? STATE, appName: options.app ?? 'openclaw',
    env: { OPENCLAW_DOUBLE_STARTUP_MS: String(options.startupMs ?? 300) },
  });
  await waitReady(shell, host, { port, timeoutMs: 30_000 });
}

/** A validated config with one environment of PM2 (or other) hosts, no watch period. */
export function benchConfig(redisUrl: string, prefix: string, environment: Record<string, unknown>): ClawopsConfig {
  return configSchema.parse({
    environments: { production: environment },
    runbook: { watch: { minutes: 0 } },
    approvals: { terminal: { users: [APPROVER.userId] } },
    redis: { url: redisUrl, prefix },
  });
}

export function pm2HostConfig(host: TestHost, app = 'openclaw'): Record<string, unknown> {
  return host.hostConfig({ kind: 'pm2', app, port: 18789 }, { releasesDir: RELEASES, backupDir: BACKUPS, stateDir: STATE }) as Record<string, unknown>;
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
