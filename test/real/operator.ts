/**
 * What an operator did on a host before clawops ever ran there, with the real OpenClaw CLI:
 * install a release side by side with the runbook profile's own install command, point
 * `current` at it, configure the gateway (`gateway.mode local`, a log file in its home) and run
 * it under PM2 with `interpreter: 'none'` (DESIGN §2). Plus the probes the tests assert with.
 */
import type { ClawopsConfig, HostConfig } from '../../src/config/schema.js';
import type { RemoteShell, RemoteTarget, RunResult } from '../../src/remote/types.js';
import { currentLink, releaseBinary, releasePrefix, runbookCommand } from '../../src/runbook/index.js';
import { pm2, pm2StartEcosystem, type EcosystemApp } from '../harness/pm2.js';

/** The host's home: every test host logs in as root. */
export const HOME = '/root';

export function absolute(path: string): string {
  return path.startsWith('~/') ? `${HOME}/${path.slice(2)}` : path;
}

/** A host of the fleet config, reachable with its configured env (PATH with the supported Node). */
export interface OperatorHost {
  shell: RemoteShell;
  config: ClawopsConfig;
  host: HostConfig;
  target: RemoteTarget;
}

export function operatorHost(shell: RemoteShell, config: ClawopsConfig, host: HostConfig, base: RemoteTarget): OperatorHost {
  return { shell, config, host, target: { ...base, env: { ...host.env } } };
}

/** Runs argv on the host; throws with the output's tail when it does not exit 0. */
export async function must(op: OperatorHost, argv: readonly string[], what: string, options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  const result = await op.shell.run(op.target, argv, { timeoutMs: options.timeoutMs ?? 120_000, ...(options.env ? { env: options.env } : {}) });
  if (result.exitCode !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.trim() !== '').slice(-20).join('\n');
    throw new Error(`${what} on ${op.host.name} exited ${result.exitCode} after ${Math.round(result.durationMs)} ms:\n${tail}`);
  }
  return result;
}

/** `npm install -g --prefix <releasesDir>/<version> openclaw@<version> …`: the profile's install command, offline from the cache. */
export async function installRelease(op: OperatorHost, version: string): Promise<number> {
  const argv = runbookCommand(op.config, 'install', { prefix: releasePrefix(op.host, version), version }, []);
  const result = await must(op, argv, `installing openclaw@${version} (if npm says ENOTCACHED, delete the real-suite cache dir to warm it again)`, { timeoutMs: 600_000 });
  return result.durationMs;
}

export async function linkCurrent(op: OperatorHost, version: string): Promise<void> {
  await must(op, ['ln', '-sfn', releasePrefix(op.host, version), currentLink(op.host)], `linking current to ${version}`);
}

/**
 * An operator's gateway is configured: `gateway.mode local` (without it `gateway run` refuses
 * to start: "Missing config") and a log file in the host's own home. Written as the file an
 * operator edits: `openclaw config set` would log to the machine-wide /tmp/openclaw first.
 */
export async function configureGateway(op: OperatorHost, stateDir: string): Promise<void> {
  const config = { gateway: { mode: 'local' }, logging: { file: `${HOME}/openclaw-gateway.log` } };
  await op.shell.writeFile(op.target, `${absolute(stateDir)}/openclaw.json`, `${JSON.stringify(config, null, 2)}\n`);
  await must(op, ['chmod', '700', absolute(stateDir)], 'chmod the state dir');
}

/** Starts the gateway under PM2 from an ecosystem file, the way DESIGN §2 found working. */
export async function startUnderPm2(op: OperatorHost, app: { name: string; script: string; port: number; stateDir: string }): Promise<void> {
  const entry: EcosystemApp = {
    name: app.name,
    script: absolute(app.script),
    args: ['gateway', 'run', '--port', String(app.port), '--bind', 'loopback'],
    interpreter: 'none',
    exec_mode: 'fork',
    kill_timeout: 10_000,
    env: { OPENCLAW_STATE_DIR: absolute(app.stateDir), PATH: op.host.env.PATH ?? '' },
  };
  await pm2StartEcosystem(op.shell, op.target, `${HOME}/ecosystem-${app.name}.config.js`, [entry]);
}

/** The JSON body of a loopback URL, fetched with curl on the host (null when it does not answer 2xx JSON). */
export async function hostJson(op: OperatorHost, url: string): Promise<Record<string, unknown> | null> {
  const result = await op.shell.run(op.target, ['curl', '-fsS', '--max-time', '5', url], { timeoutMs: 10_000 });
  if (result.exitCode !== 0) return null;
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Polls `/readyz` from inside the host until `{"ready":true}`; on timeout the error carries PM2's last log lines. */
export async function waitReady(op: OperatorHost, port: number, app: string, timeoutMs = 300_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const body = await hostJson(op, `http://127.0.0.1:${port}/readyz`);
    if (body?.ready === true) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      const logs = await pm2(op.shell, op.target, ['logs', app, '--nostream', '--lines', '30']);
      throw new Error(`gateway ${app} on ${op.host.name}:${port} not ready after ${timeoutMs} ms (last /readyz: ${JSON.stringify(body)}); pm2 logs:\n${logs.stdout}${logs.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The version the *running* gateway reports over its own RPC (`gateway status --json` → rpc.server.version). */
export async function runningVersion(op: OperatorHost, port: number, stateDir: string): Promise<string | null> {
  const result = await op.shell.run(op.target, [releaseBinary(op.host, 'current'), 'gateway', 'status', '--json', '--port', String(port)],
    { env: { OPENCLAW_STATE_DIR: stateDir }, timeoutMs: 60_000 });
  try {
    const status = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as { rpc?: { server?: { version?: unknown } } };
    const version = status.rpc?.server?.version;
    return typeof version === 'string' ? version : null;
  } catch {
    return null;
  }
}

/** Where `<releasesDir>/current` points, as the host resolves it. */
export async function currentTarget(op: OperatorHost): Promise<string> {
  return (await must(op, ['readlink', currentLink(op.host)], 'readlink current')).stdout.trim();
}

/** Release dirs installed side by side. */
export async function installedReleases(op: OperatorHost): Promise<string[]> {
  const out = await must(op, ['ls', '-1', op.host.releasesDir], 'listing releases');
  return out.stdout.split('\n').map((line) => line.trim()).filter((line) => /^\d+\.\d+\.\d+$/.test(line)).sort();
}

/** PM2's view and the gateway log's tail: appended to a failure so it explains itself. */
export async function diagnostics(op: OperatorHost): Promise<string> {
  const jlist = await pm2(op.shell, op.target, ['jlist']).catch((error: unknown) => ({ stdout: String(error), stderr: '' }));
  let apps = jlist.stdout.trim();
  try {
    const list = JSON.parse(apps.slice(apps.indexOf('['))) as Array<{ name: string; pid: number; pm2_env?: { status?: string; restart_time?: number; pm_exec_path?: string } }>;
    apps = list.map((app) => `${app.name} pid ${app.pid} ${app.pm2_env?.status ?? '?'} restarts ${app.pm2_env?.restart_time ?? '?'} ${app.pm2_env?.pm_exec_path ?? ''}`).join('\n');
  } catch { /* keep the raw output */ }
  const log = await op.shell.run(op.target, ['tail', '-n', '40', `${HOME}/openclaw-gateway.log`], { timeoutMs: 10_000 });
  return `--- pm2 on ${op.host.name}:\n${apps}\n--- ${HOME}/openclaw-gateway.log (tail):\n${log.stdout}${log.stderr}`;
}

/** Runs `body`; a failure gets the host's diagnostics appended. */
export async function explained<T>(op: OperatorHost, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n${await diagnostics(op).catch((failure: unknown) => `(no diagnostics: ${String(failure)})`)}`, { cause: error });
  }
}
