/**
 * PM2 on a test host, driven through the RemoteShell like clawops drives it. Every call sets
 * PM2_HOME: any pm2 command otherwise starts a daemon in the default ~/.pm2 (DESIGN §5).
 */
import { ClawopsError } from '../../src/errors.js';
import type { RemoteShell, RemoteTarget, RunResult } from '../../src/remote/types.js';

export const DEFAULT_PM2_HOME = '/root/.pm2';

/** One app in `pm2 jlist`, the fields tests look at. */
export interface Pm2App {
  name: string;
  pid: number;
  status: string;
  restarts: number;
  execMode: string;
}

/** An app entry of an ecosystem file (PM2's own field names). */
export interface EcosystemApp {
  name: string;
  script: string;
  args?: string | string[];
  cwd?: string;
  interpreter?: string;
  exec_mode?: 'fork' | 'cluster';
  instances?: number;
  env?: Record<string, string>;
  kill_timeout?: number;
  listen_timeout?: number;
  wait_ready?: boolean;
  autorestart?: boolean;
}

export interface Pm2Options {
  pm2Home?: string;
  signal?: AbortSignal;
}

/** Runs `pm2 <args>` on the host; returns the result whatever the exit code. */
export async function pm2(shell: RemoteShell, target: RemoteTarget, args: readonly string[], options: Pm2Options = {}): Promise<RunResult> {
  return shell.run(target, ['pm2', ...args], {
    env: { PM2_HOME: options.pm2Home ?? DEFAULT_PM2_HOME },
    timeoutMs: 30_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

async function pm2OrThrow(shell: RemoteShell, target: RemoteTarget, args: readonly string[], options: Pm2Options): Promise<RunResult> {
  const result = await pm2(shell, target, args, options);
  if (result.exitCode !== 0) {
    throw new ClawopsError('STEP_FAILED', `pm2 ${args.join(' ')} on ${target.name} exited ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result;
}

/** The text of an ecosystem file (`module.exports = { apps: [...] }`). */
export function ecosystemFile(apps: readonly EcosystemApp[]): string {
  return `module.exports = ${JSON.stringify({ apps }, null, 2)};\n`;
}

/** Writes the ecosystem file on the host and starts it (`pm2 start <file> [--only app]`). */
export async function pm2StartEcosystem(shell: RemoteShell, target: RemoteTarget, path: string, apps: readonly EcosystemApp[], options: Pm2Options & { only?: string } = {}): Promise<void> {
  await shell.writeFile(target, path, ecosystemFile(apps));
  await pm2OrThrow(shell, target, ['start', path, ...(options.only ? ['--only', options.only] : [])], options);
}

/** `pm2 jlist`, parsed. */
export async function pm2Jlist(shell: RemoteShell, target: RemoteTarget, options: Pm2Options = {}): Promise<Pm2App[]> {
  const { stdout } = await pm2OrThrow(shell, target, ['jlist'], options);
  // PM2 can print notices before the JSON; the list is the last line that parses.
  const line = stdout.trim().split('\n').reverse().find((candidate) => candidate.startsWith('['));
  if (line === undefined) throw new Error(`pm2 jlist printed no list: ${stdout}`);
  const raw = JSON.parse(line) as Array<{ name: string; pid: number; pm2_env?: { status?: string; restart_time?: number; exec_mode?: string } }>;
  return raw.map((app) => ({
    name: app.name, pid: app.pid, status: app.pm2_env?.status ?? 'unknown',
    restarts: app.pm2_env?.restart_time ?? 0, execMode: app.pm2_env?.exec_mode ?? 'unknown',
  }));
}

/** Stops an app (`pm2 stop <name>`). */
export async function pm2Stop(shell: RemoteShell, target: RemoteTarget, name: string, options: Pm2Options = {}): Promise<void> {
  await pm2OrThrow(shell, target, ['stop', name], options);
}

/** `pm2 kill`: stops every app and the daemon, then waits until the daemon's pid file is gone. */
export async function pm2Kill(shell: RemoteShell, target: RemoteTarget, options: Pm2Options = {}): Promise<void> {
  const home = options.pm2Home ?? DEFAULT_PM2_HOME;
  await pm2(shell, target, ['kill'], options);
  // Zombies linger in /proc after a kill; the pid file is what the daemon removes itself.
  const deadline = Date.now() + 10_000;
  while ((await shell.run(target, ['test', '-e', `${home}/pm2.pid`])).exitCode === 0) {
    if (Date.now() > deadline) throw new Error(`PM2 daemon on ${target.name} still running 10 s after pm2 kill`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A tiny Node HTTP app for tests: answers `{"name","pid","version"}` on PORT (HOST, default
 * 0.0.0.0) and drains on SIGINT/SIGTERM (stop accepting, `Connection: close`, exit) the way
 * DESIGN §5 found PM2 cluster reloads need. Sends `ready` when PM2 asks for it.
 */
export const TINY_SERVER_JS = `'use strict';
const http = require('http');
const name = process.env.APP_NAME || 'app';
const version = process.env.APP_VERSION || '';
let closing = false;
const server = http.createServer((req, res) => {
  if (closing) res.setHeader('Connection', 'close');
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ name, pid: process.pid, version }));
});
server.listen(Number(process.env.PORT || 18789), process.env.HOST || '0.0.0.0', () => {
  if (process.send) process.send('ready');
});
const stop = () => {
  closing = true;
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 300).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
`;
