/**
 * Reads what the planner needs from the hosts (HostFacts) over the RemoteShell: running
 * version, versions installed side by side, blue-green live color, what the supervisor runs
 * (PM2 app settings from `pm2 jlist`, the systemd unit's ExecStart from `systemctl cat`).
 * Nothing here changes a host.
 */
import type { ClawopsConfig, HostConfig, RunbookConfig } from '../config/schema.js';
import { ClawopsError, isClawopsError } from '../errors.js';
import type { RemoteShell } from '../remote/types.js';
import type { HostFacts } from '../runbook/types.js';
import { parseOpenClawVersion } from '../health/probes.js';
import { execReloadFromUnitText, execStartFromUnitText, isOpenclawScript, parseExecStart } from '../runbook/adopt-exec-start.js';
import { runsLink } from '../runbook/adopt.js';
import { readCurrentVersion, readVersionWith } from './execute-step.js';
import { composeBase } from '../runbook/strategies/docker-compose.js';
import { parseJlist } from './pm2-jlist.js';
import { toRemoteTarget } from './targets.js';

/** Per-version CHANGELOG.md text for versions in (from, to]; injected (npm pack, repo files, a cache). */
export type ChangelogSource = (from: string, to: string, signal?: AbortSignal) => Promise<Record<string, string>>;

const VERSION_DIR = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

export async function collectHostFacts(shell: RemoteShell, host: HostConfig, runbook: RunbookConfig, signal?: AbortSignal): Promise<HostFacts> {
  const target = toRemoteTarget(host);
  const opts = { timeoutMs: runbook.timeouts.commandSeconds * 1000, ...(signal ? { signal } : {}) };
  const abortSignal = signal ?? new AbortController().signal;
  const listing = await shell.run(target, ['ls', '-1', host.releasesDir], opts);
  const installedVersions = listing.exitCode === 0
    ? listing.stdout.split('\n').map((line) => line.trim()).filter((name) => VERSION_DIR.test(name)).map((name) => name.replace(/^v/, ''))
    : [];
  const facts: HostFacts = { host: host.name, currentVersion: null, installedVersions };
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
    const apps = jlist.exitCode === 0 ? parseJlist(jlist.stdout) : null;
    if (apps !== null) {
      facts.pm2Apps = apps.flatMap((entry) => typeof entry?.name === 'string' ? [entry.name] : []);
      const pm2 = pm2FactsFromJlist(jlist.stdout, app);
      if (pm2) facts.pm2 = pm2;
    }
  }
  if (strategy.kind === 'systemd') {
    const ctl = strategy.user ? ['systemctl', '--user'] : ['systemctl'];
    const unit = await shell.run(target, [...ctl, 'cat', strategy.unit], opts);
    if (unit.exitCode === 0) Object.assign(facts, systemdFactsFromUnitText(unit.stdout));
  }
  facts.currentVersion = await runningVersion(shell, host, runbook, facts, abortSignal, opts);
  return facts;
}

/**
 * The version of what runs: a compose service's container, or an install the supervisor runs from
 * elsewhere (`npm i -g`), is asked first, then `<releasesDir>/current`, then `openclaw` from PATH
 * (runbook.commands.version).
 */
async function runningVersion(shell: RemoteShell, host: HostConfig, runbook: RunbookConfig, facts: HostFacts, signal: AbortSignal, opts: { timeoutMs: number }): Promise<string | null> {
  const target = toRemoteTarget(host);
  if (host.strategy.kind === 'docker-compose') {
    // The gateway's openclaw is inside the container; the host may have none. The version
    // variable only names an image tag, and exec goes to the running container whatever it says.
    const inContainer = [...composeBase(host.strategy, 'running'), 'exec', '-T', host.strategy.service, 'openclaw', '--version'];
    const { version } = await readVersionWith(shell, target, inContainer, signal, opts.timeoutMs);
    if (version !== null) return version;
  }
  const own = ownBinary(host, facts);
  if (own !== null) {
    const { version } = await readVersionWith(shell, target, [...own, '--version'], signal, opts.timeoutMs);
    if (version !== null) return version;
  }
  const { version } = await readCurrentVersion(shell, host, signal, opts.timeoutMs);
  if (version !== null) return version;
  const fallback = await shell.run(target, runbook.commands.version, { ...opts, signal });
  return fallback.exitCode === 0 ? parseOpenClawVersion(fallback.stdout)?.version ?? null : null;
}

/** The openclaw the supervisor runs when it is not `<releasesDir>/current` (null: the link, or unknown). */
function ownBinary(host: HostConfig, facts: HostFacts): string[] | null {
  // Blue-green colors run their version's own binary by design: their version comes from the link as before.
  const script = host.strategy.kind === 'pm2' ? facts.pm2?.script : undefined;
  if (script !== undefined && !runsLink(script, host) && isOpenclawScript(script)) {
    const interpreter = facts.pm2?.interpreter;
    return interpreter === undefined || interpreter === 'none' ? [script] : [interpreter, script];
  }
  const execStart = facts.systemdExecStart === undefined ? null : parseExecStart(facts.systemdExecStart);
  if (execStart?.openclaw !== undefined && !runsLink(execStart.program, host)) return execStart.openclaw.binary;
  return null;
}

/** ExecStart / ExecReload from `systemctl cat <unit>` (unit file and drop-ins). */
export function systemdFactsFromUnitText(text: string): Pick<HostFacts, 'systemdExecStart' | 'systemdExecReload' | 'systemdHasExecReload'> {
  const execStart = execStartFromUnitText(text);
  const execReload = execReloadFromUnitText(text);
  return {
    ...(execStart === undefined ? {} : { systemdExecStart: execStart }),
    ...(execReload === undefined ? {} : { systemdExecReload: execReload }),
    systemdHasExecReload: execReload !== undefined,
  };
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

// PM2 keeps the whole environment of the `pm2 start` that created an app: these come from the
// shell or PM2 itself, not from the app's own settings, so they are not counted as the app's env.
const INHERITED_ENV = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'PWD', 'OLDPWD', 'SHLVL', '_', 'TERM', 'LANG', 'LANGUAGE', 'MAIL', 'HOSTNAME',
  'TMPDIR', 'MOTD_SHOWN', 'NODE_APP_INSTANCE', 'pm_id', 'unique_id', 'name']);

function ownEnvNames(env: unknown, app: string): string[] {
  if (env === null || typeof env !== 'object') return [];
  return Object.entries(env as Record<string, unknown>)
    .filter(([key, value]) => typeof value === 'string' && key !== app && !INHERITED_ENV.has(key) && !/^(?:PM2_|SSH_|LC_|XDG_)/.test(key))
    .map(([key]) => key)
    .sort();
}

/** One path-valued variable of the app's env (never any other value: those can be secrets). */
function envPath<K extends 'stateDir' | 'home'>(env: unknown, name: string, key: K): Partial<Record<K, string>> {
  const value = env !== null && typeof env === 'object' ? (env as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' && value.startsWith('/') ? { [key]: value } as Partial<Record<K, string>> : {};
}

/** The app's settings from `pm2 jlist` JSON (env names only: values can be secrets and stay on the host). */
export function pm2FactsFromJlist(json: string, app: string): NonNullable<HostFacts['pm2']> | null {
  const list = parseJlist(json);
  if (list === null) return null;
  const entry = list.find((item) => item?.name === app);
  const env = entry?.pm2_env;
  if (!env) return null;
  const number = (value: unknown) => typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
  const text = (value: unknown) => typeof value === 'string' && value !== '' ? value : undefined;
  const listen = number(env.listen_timeout);
  const kill = number(env.kill_timeout);
  const interpreter = text(env.exec_interpreter);
  const script = text(env.pm_exec_path);
  const args = Array.isArray(env.args) ? env.args.filter((arg): arg is string => typeof arg === 'string')
    : typeof env.args === 'string' && env.args !== '' ? env.args.split(/\s+/) : undefined;
  const cwd = text(env.pm_cwd);
  const status = text(env.status);
  const restarts = number(env.restart_time);
  const pid = number(entry?.pid);
  return {
    execMode: env.exec_mode === 'cluster_mode' || env.exec_mode === 'cluster' ? 'cluster' : 'fork',
    waitReady: env.wait_ready === true || env.wait_ready === 'true',
    ...(listen === undefined ? {} : { listenTimeoutMs: listen }),
    ...(kill === undefined ? {} : { killTimeoutMs: kill }),
    ...(interpreter === undefined ? {} : { interpreter }),
    ...(script === undefined ? {} : { script }),
    ...(args === undefined ? {} : { args }),
    ...(cwd === undefined ? {} : { cwd }),
    ...(status === undefined ? {} : { status }),
    ...(restarts === undefined ? {} : { restarts }),
    ...(pid === undefined || pid === 0 ? {} : { pid }),
    ...(env.env === undefined ? {} : { envNames: ownEnvNames(env.env, app) }),
    ...envPath(env.env, 'OPENCLAW_STATE_DIR', 'stateDir'),
    ...envPath(env.env, 'HOME', 'home'),
  };
}
