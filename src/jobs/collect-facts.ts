/**
 * Reads what the planner needs from the hosts (HostFacts) over the RemoteShell: running
 * version, versions installed side by side, blue-green live color, PM2 app settings.
 * Nothing here changes a host.
 */
import type { ClawopsConfig, HostConfig, RunbookConfig } from '../config/schema.js';
import { ClawopsError, isClawopsError } from '../errors.js';
import type { RemoteShell } from '../remote/types.js';
import type { HostFacts } from '../runbook/types.js';
import { parseOpenClawVersion } from '../health/probes.js';
import { readCurrentVersion } from './execute-step.js';
import { toRemoteTarget } from './targets.js';

/** Per-version CHANGELOG.md text for versions in (from, to]; injected (npm pack, repo files, a cache). */
export type ChangelogSource = (from: string, to: string, signal?: AbortSignal) => Promise<Record<string, string>>;

const VERSION_DIR = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

export async function collectHostFacts(shell: RemoteShell, host: HostConfig, runbook: RunbookConfig, signal?: AbortSignal): Promise<HostFacts> {
  const target = toRemoteTarget(host);
  const opts = { timeoutMs: runbook.timeouts.commandSeconds * 1000, ...(signal ? { signal } : {}) };
  const abortSignal = signal ?? new AbortController().signal;
  let { version: currentVersion } = await readCurrentVersion(shell, host, abortSignal, opts.timeoutMs);
  if (currentVersion === null) {
    const fallback = await shell.run(target, runbook.commands.version, opts);
    currentVersion = fallback.exitCode === 0 ? parseOpenClawVersion(fallback.stdout)?.version ?? null : null;
  }
  const listing = await shell.run(target, ['ls', '-1', host.releasesDir], opts);
  const installedVersions = listing.exitCode === 0
    ? listing.stdout.split('\n').map((line) => line.trim()).filter((name) => VERSION_DIR.test(name)).map((name) => name.replace(/^v/, ''))
    : [];
  const facts: HostFacts = { host: host.name, currentVersion, installedVersions };
  const strategy = host.strategy;
  if (strategy.kind === 'blue-green') {
    const upstream = await shell.run(target, ['cat', strategy.nginx.upstreamFile], opts);
    const color = upstream.exitCode === 0 ? liveColorFromUpstream(upstream.stdout, strategy.blue.port, strategy.green.port) : null;
    if (color) facts.liveColor = color;
  }
  if (strategy.kind === 'pm2' || strategy.kind === 'blue-green') {
    const pm2Target = strategy.pm2Home ? { ...target, env: { ...target.env, PM2_HOME: strategy.pm2Home } } : target;
    const app = strategy.kind === 'pm2' ? strategy.app : (facts.liveColor === 'green' ? strategy.green.app : strategy.blue.app);
    const jlist = await shell.run(pm2Target, ['pm2', 'jlist'], opts);
    const pm2 = jlist.exitCode === 0 ? pm2FactsFromJlist(jlist.stdout, app) : null;
    if (pm2) facts.pm2 = pm2;
  }
  return facts;
}

/** Facts of every host of an environment (or the named ones), collected in parallel. */
export async function collectFacts(shell: RemoteShell, config: ClawopsConfig, environment: string, options: { hosts?: readonly string[]; signal?: AbortSignal } = {}): Promise<Record<string, HostFacts>> {
  const env = config.environments[environment];
  if (!env) throw new ClawopsError('UNKNOWN_ENVIRONMENT', `no environment "${environment}" in the config`, { environment });
  const hosts = options.hosts ? env.hosts.filter((host) => options.hosts?.includes(host.name)) : env.hosts;
  const unknown = (options.hosts ?? []).filter((name) => !env.hosts.some((host) => host.name === name));
  if (unknown.length > 0) throw new ClawopsError('UNKNOWN_HOST', `no host ${unknown.join(', ')} in ${environment}`, { environment, hosts: unknown });
  const entries = await Promise.all(hosts.map(async (host) => {
    try {
      return [host.name, await collectHostFacts(shell, host, config.runbook, options.signal)] as const;
    } catch (error) {
      if (isClawopsError(error)) throw error;
      throw new ClawopsError('INTERNAL', `reading facts from ${host.name} failed: ${String(error)}`, { host: host.name }, { cause: error });
    }
  }));
  return Object.fromEntries(entries);
}

/** Which color the upstream block sends traffic to: the one `server host:port;` line that is not commented out. */
export function liveColorFromUpstream(text: string, bluePort: number, greenPort: number): 'blue' | 'green' | null {
  const ports = text.split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    // A `backup` server takes traffic only when the primary is down: not the live color.
    .filter((line) => !/\bbackup\b/.test(line))
    .map((line) => /^server\s+[^\s;]*:(\d+)\b[^;]*;/.exec(line)?.[1])
    .filter((port): port is string => port !== undefined)
    .map(Number);
  const blue = ports.includes(bluePort);
  const green = ports.includes(greenPort);
  if (blue === green) return null;
  return blue ? 'blue' : 'green';
}

/** The app's settings from `pm2 jlist` JSON. */
export function pm2FactsFromJlist(json: string, app: string): NonNullable<HostFacts['pm2']> | null {
  let list: unknown = null;
  // pm2 may print `[PM2] …` notices before the JSON array.
  for (let at = json.indexOf('['); at >= 0 && list === null; at = json.indexOf('[', at + 1)) {
    try {
      list = JSON.parse(json.slice(at));
    } catch {
      list = null;
    }
  }
  if (!Array.isArray(list)) return null;
  const entry = list.find((item: { name?: unknown }) => item?.name === app) as { pm2_env?: Record<string, unknown> } | undefined;
  const env = entry?.pm2_env;
  if (!env) return null;
  const number = (value: unknown) => typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
  const listen = number(env.listen_timeout);
  const kill = number(env.kill_timeout);
  const interpreter = typeof env.exec_interpreter === 'string' ? env.exec_interpreter : undefined;
  return {
    execMode: env.exec_mode === 'cluster_mode' || env.exec_mode === 'cluster' ? 'cluster' : 'fork',
    waitReady: env.wait_ready === true || env.wait_ready === 'true',
    ...(listen === undefined ? {} : { listenTimeoutMs: listen }),
    ...(kill === undefined ? {} : { killTimeoutMs: kill }),
    ...(interpreter === undefined ? {} : { interpreter }),
  };
}
