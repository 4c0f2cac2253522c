/**
 * The OpenClaw double on test hosts, driven through a RemoteShell the way clawops drives the
 * real CLI: install from the test registry with npm, run the gateway under PM2 (the `openclaw`
 * binary with `interpreter: 'none'`, DESIGN §2), poll `/readyz` with curl from inside the host.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClawopsError } from '../../src/errors.js';
import type { RemoteShell, RemoteTarget } from '../../src/remote/types.js';
import type { TestHost } from './hosts.js';
import { DEFAULT_PM2_HOME, pm2StartEcosystem, type EcosystemApp } from './pm2.js';
import type { TestRegistry } from './registry.js';

/** The global npm prefix of every test host (its /root/.npmrc `prefix=`). */
export const HOST_NPM_PREFIX = '/opt/npm';

/** Where `openclaw` lands for an install into `prefix` (default: the host's global prefix). */
export function openclawBin(prefix: string = HOST_NPM_PREFIX): string {
  return `${prefix}/bin/openclaw`;
}

/** Points the host's npm at the registry (appends to its /root/.npmrc, reached on gatewayAddress). */
export async function useRegistry(host: TestHost, registry: TestRegistry): Promise<void> {
  await appendFile(join(host.homeDir, '.npmrc'), `${registry.npmrc(host.gatewayAddress).join('\n')}\n`);
}

export interface InstallOptions {
  /** Install side by side into this prefix (`npm install -g --prefix <prefix>`). */
  prefix?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Real `npm install -g [--prefix P] openclaw@V --allow-scripts=openclaw` on the host; returns the binary path. */
export async function installDouble(shell: RemoteShell, host: Pick<TestHost, 'target'>, version: string, options: InstallOptions = {}): Promise<string> {
  const argv = ['npm', 'install', '-g', ...(options.prefix ? ['--prefix', options.prefix] : []), `openclaw@${version}`, '--allow-scripts=openclaw'];
  const result = await shell.run(host.target, argv, { timeoutMs: options.timeoutMs ?? 120_000, ...(options.signal ? { signal: options.signal } : {}) });
  if (result.exitCode !== 0) {
    throw new ClawopsError('STEP_FAILED', `npm install openclaw@${version} on ${host.target.name} exited ${result.exitCode}: ${result.stderr.trim()}`, { version });
  }
  return openclawBin(options.prefix);
}

export interface GatewayUnderPm2Options {
  /** The install prefix whose `bin/openclaw` runs (default: the host's global prefix). */
  prefix?: string;
  /** What PM2 runs instead of `<prefix>/bin/openclaw`, e.g. `openclaw` from PATH as operators write it. */
  script?: string;
  port: number;
  /** OPENCLAW_STATE_DIR of this gateway. */
  stateDir: string;
  appName: string;
  pm2Home?: string;
  /** Ecosystem file path on the host (default `/root/.clawops/<appName>.ecosystem.config.js`). */
  ecosystemPath?: string;
  /** Extra environment (e.g. OPENCLAW_DOUBLE_STARTUP_MS). */
  env?: Record<string, string>;
  signal?: AbortSignal;
}

/** The PM2 app entry that runs an OpenClaw gateway correctly: the binary itself, no Node wrapper. */
export function gatewayEcosystemApp(options: Omit<GatewayUnderPm2Options, 'pm2Home' | 'ecosystemPath' | 'signal'>): EcosystemApp {
  return {
    name: options.appName,
    script: options.script ?? openclawBin(options.prefix),
    args: ['gateway', 'run', '--port', String(options.port), '--bind', 'loopback'],
    // PM2's Node wrapper breaks OpenClaw's main-module check: run the binary directly.
    interpreter: 'none',
    exec_mode: 'fork',
    kill_timeout: 5_000,
    env: { OPENCLAW_STATE_DIR: options.stateDir, ...options.env },
  };
}

/** Writes an ecosystem file for the gateway and `pm2 start`s it; returns the app entry. */
export async function startGatewayUnderPm2(shell: RemoteShell, host: Pick<TestHost, 'target'>, options: GatewayUnderPm2Options): Promise<EcosystemApp> {
  const app = gatewayEcosystemApp(options);
  const path = options.ecosystemPath ?? `/root/.clawops/${options.appName}.ecosystem.config.js`;
  await pm2StartEcosystem(shell, host.target, path, [app], {
    pm2Home: options.pm2Home ?? DEFAULT_PM2_HOME, ...(options.signal ? { signal: options.signal } : {}),
  });
  return app;
}

export interface ProbeResult {
  /** HTTP status, or 0 when nothing answered. */
  status: number;
  body: unknown;
}

/** One GET of `http://127.0.0.1:<port><path>` from inside the host (curl over the shell). */
export async function probeFromHost(shell: RemoteShell, target: RemoteTarget, port: number, path = '/readyz', signal?: AbortSignal): Promise<ProbeResult> {
  const result = await shell.run(target, ['curl', '-sS', '--max-time', '2', '-w', '\n%{http_code}', `http://127.0.0.1:${port}${path}`],
    { timeoutMs: 5_000, ...(signal ? { signal } : {}) });
  const lines = result.stdout.split('\n');
  const status = Number(lines.pop() ?? '0') || 0;
  const text = lines.join('\n');
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON: keep the text */ }
  return { status, body };
}

export interface WaitReadyOptions {
  port: number;
  timeoutMs?: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

/** Polls `/readyz` from inside the host until it answers 200; throws HEALTH_FAILED at the deadline. */
export async function waitReady(shell: RemoteShell, host: Pick<TestHost, 'target'>, options: WaitReadyOptions): Promise<ProbeResult & { waitedMs: number }> {
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 15_000);
  for (;;) {
    const last = await probeFromHost(shell, host.target, options.port, '/readyz', options.signal);
    if (last.status === 200) return { ...last, waitedMs: Date.now() - started };
    if (Date.now() > deadline) {
      throw new ClawopsError('HEALTH_FAILED', `${host.target.name}: /readyz on port ${options.port} not ready after ${options.timeoutMs ?? 15_000} ms (last: ${last.status} ${JSON.stringify(last.body)})`,
        { status: last.status });
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/** `openclaw --version` on the host, parsed: `OpenClaw <version> (<commit>)`. */
export async function openclawVersion(shell: RemoteShell, host: Pick<TestHost, 'target'>, bin = openclawBin()): Promise<{ version: string; commit: string }> {
  const result = await shell.run(host.target, [bin, '--version'], { timeoutMs: 10_000 });
  const match = /^OpenClaw (\S+) \(([0-9a-f]{7})\)$/.exec(result.stdout.trim());
  if (result.exitCode !== 0 || !match) {
    throw new ClawopsError('STEP_FAILED', `${bin} --version on ${host.target.name} exited ${result.exitCode}: ${result.stdout.trim()} ${result.stderr.trim()}`);
  }
  return { version: match[1] as string, commit: match[2] as string };
}
