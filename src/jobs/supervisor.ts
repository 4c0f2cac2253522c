/**
 * What the process manager says about a gateway (PM2 or systemd), so a failed health step
 * explains itself in the thread — state, restarts, last exit code and the tail of its error log,
 * secrets redacted — and so a release that exits on start (exit 78: a newer schema, a locked
 * state dir) is reported within seconds instead of after the whole ready timeout.
 * Read-only: `pm2 jlist`, `tail`, `systemctl show`, `journalctl`.
 */
import type { HostConfig } from '../config/schema.js';
import type { RemoteShell, RemoteTarget } from '../remote/types.js';
import { redactSecretsInText } from '../log/redact-text.js';
import { abortableSleep } from '../health/probes.js';
import { parseJlist } from './pm2-jlist.js';
import { toRemoteTarget } from './targets.js';

/** Which supervised process serves a port on a host. */
export type SupervisorRef =
  | { kind: 'pm2'; app: string; pm2Home?: string }
  | { kind: 'systemd'; unit: string; sudo: boolean; user: boolean };

/** One reading of a supervised process. */
export interface SupervisorState {
  ref: SupervisorRef;
  /** online, stopped, errored, waiting restart (PM2); active/activating/failed… (systemd); null when not found. */
  status: string | null;
  restarts: number | null;
  exitCode: number | null;
  /** The process id PM2 reports; null when PM2 has none (e.g. it could not spawn the script). */
  pid?: number | null;
  /** Where the log tail comes from (a file path or `journalctl -u unit`). */
  logSource?: string;
}

const LOG_LINES = 15;

/**
 * The processes behind a host's gateway: the PM2 app, the systemd unit, or for blue-green the
 * color that listens on `port` (both colors when the port is not one of theirs).
 */
export function supervisorsFor(host: HostConfig, port?: number): SupervisorRef[] {
  const strategy = host.strategy;
  const pm2 = (app: string, pm2Home: string | undefined): SupervisorRef => (pm2Home === undefined ? { kind: 'pm2', app } : { kind: 'pm2', app, pm2Home });
  switch (strategy.kind) {
    case 'pm2':
      return [pm2(strategy.app, strategy.pm2Home)];
    case 'systemd':
      return [{ kind: 'systemd', unit: strategy.unit, sudo: strategy.sudo, user: strategy.user }];
    case 'blue-green': {
      const colors = [strategy.blue, strategy.green].filter((color) => port === undefined || color.port === port);
      return (colors.length > 0 ? colors : [strategy.blue, strategy.green]).map((color) => pm2(color.app, strategy.pm2Home));
    }
    default:
      return [];
  }
}

/** The port of a URL, when it names one (`http://127.0.0.1:19789/readyz` → 19789). */
export function portOf(url: string): number | undefined {
  try {
    const port = new URL(url).port;
    return port === '' ? undefined : Number(port);
  } catch {
    return undefined;
  }
}

/** The app's entry in `pm2 jlist` output (the same reader as the planner's facts). */
export function pm2StateFromJlist(json: string, ref: Extract<SupervisorRef, { kind: 'pm2' }>): SupervisorState & { errLog?: string; outLog?: string } {
  const entry = parseJlist(json)?.find((item) => item?.name === ref.app);
  const env = entry?.pm2_env;
  if (!env) return { ref, status: null, restarts: null, exitCode: null };
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const errLog = text(env.pm_err_log_path);
  const outLog = text(env.pm_out_log_path);
  const pid = number(entry?.pid);
  return {
    ref, status: text(env.status) ?? null, restarts: number(env.restart_time), exitCode: number(env.exit_code), pid: pid !== null && pid > 0 ? pid : null,
    ...(errLog ? { errLog, logSource: errLog } : {}), ...(outLog ? { outLog } : {}),
  };
}

/** `systemctl show -p ActiveState,SubState,NRestarts,ExecMainStatus` output (`Key=value` lines). */
export function systemdStateFromShow(text: string, ref: Extract<SupervisorRef, { kind: 'systemd' }>): SupervisorState {
  const values = Object.fromEntries(text.split('\n').map((line) => line.split('=')).filter((parts) => parts.length >= 2).map(([key, ...rest]) => [key?.trim() ?? '', rest.join('=').trim()]));
  const number = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : null);
  const active = values.ActiveState;
  return {
    ref,
    status: active === undefined || active === '' ? null : `${active}${values.SubState ? ` (${values.SubState})` : ''}`,
    restarts: number(values.NRestarts),
    exitCode: number(values.ExecMainStatus),
    logSource: `journalctl -u ${ref.unit}`,
  };
}

function pm2Target(target: RemoteTarget, ref: Extract<SupervisorRef, { kind: 'pm2' }>): RemoteTarget {
  return ref.pm2Home === undefined ? target : { ...target, env: { ...target.env, PM2_HOME: ref.pm2Home } };
}

function systemctl(ref: Extract<SupervisorRef, { kind: 'systemd' }>, args: readonly string[]): string[] {
  return [...(ref.sudo ? ['sudo', '-n'] : []), 'systemctl', ...(ref.user ? ['--user'] : []), ...args];
}

type Reading = SupervisorState & { errLog?: string; outLog?: string };

async function read(shell: RemoteShell, target: RemoteTarget, ref: SupervisorRef, signal: AbortSignal): Promise<Reading> {
  const options = { signal, timeoutMs: 20_000 };
  if (ref.kind === 'pm2') return pm2StateFromJlist((await shell.run(pm2Target(target, ref), ['pm2', 'jlist'], options)).stdout, ref);
  const show = await shell.run(target, systemctl(ref, ['show', ref.unit, '-p', 'ActiveState,SubState,NRestarts,ExecMainStatus']), options);
  return systemdStateFromShow(show.stdout, ref);
}

/** The current state of every process behind the host's gateway. */
export async function readSupervisors(shell: RemoteShell, host: HostConfig, refs: readonly SupervisorRef[], signal: AbortSignal): Promise<SupervisorState[]> {
  const target = toRemoteTarget(host);
  return Promise.all(refs.map((ref) => read(shell, target, ref, signal).catch((): SupervisorState => ({ ref, status: null, restarts: null, exitCode: null }))));
}

/**
 * PM2 shows an app "online" with no pid when spawning its script failed (EACCES, ENOENT: measured
 * with PM2 7 on a release whose entry lost its execute bit); the error is only in PM2's own log.
 */
function spawnFailed(state: SupervisorState): boolean {
  return state.ref.kind === 'pm2' && state.status === 'online' && state.pid === null;
}

function nameOf(ref: SupervisorRef): string {
  return ref.kind === 'pm2' ? `PM2 app ${ref.app}` : `systemd unit ${ref.unit}`;
}

/** One line per process: `PM2 app openclaw: waiting restart, 5 restarts, last exit code 78`. */
export function describeState(state: SupervisorState): string {
  if (state.status === null) return `${nameOf(state.ref)}: not found`;
  if (spawnFailed(state)) return `${nameOf(state.ref)}: ${state.status} but no process runs (PM2 could not start the script)`;
  const parts = [state.status];
  if (state.restarts !== null) parts.push(`${state.restarts} restart${state.restarts === 1 ? '' : 's'}`);
  if (state.exitCode !== null) parts.push(`last exit code ${state.exitCode}`);
  return `${nameOf(state.ref)}: ${parts.join(', ')}`;
}

/**
 * State lines plus the last lines of each process's error output (PM2's error log, else its out
 * log; `journalctl -u` for systemd), secrets redacted: what a failed health step shows.
 */
export async function diagnoseSupervisors(shell: RemoteShell, host: HostConfig, refs: readonly SupervisorRef[], signal: AbortSignal): Promise<string> {
  const target = toRemoteTarget(host);
  const options = { signal, timeoutMs: 20_000 };
  const sections = await Promise.all(refs.map(async (ref) => {
    try {
      const reading = await read(shell, target, ref, signal);
      const tailArgv = ref.kind === 'pm2'
        ? (reading.errLog ? ['tail', '-n', String(LOG_LINES), reading.errLog] : null)
        : [...(ref.sudo ? ['sudo', '-n'] : []), 'journalctl', ...(ref.user ? ['--user'] : []), '-u', ref.unit, '-n', String(LOG_LINES), '--no-pager', '-o', 'cat'];
      let tail = tailArgv ? (await shell.run(target, tailArgv, options)).stdout.trim() : '';
      if (tail === '' && reading.outLog) tail = (await shell.run(target, ['tail', '-n', String(LOG_LINES), reading.outLog], options)).stdout.trim();
      let source = reading.logSource ?? reading.outLog;
      if (ref.kind === 'pm2' && spawnFailed(reading)) {
        source = `${ref.pm2Home ?? '~/.pm2'}/pm2.log`;
        tail = pm2DaemonErrors((await shell.run(target, ['tail', '-n', '200', source], options)).stdout, ref.app);
      }
      return tail === '' ? describeState(reading) : `${describeState(reading)}\n--- last lines of ${source ?? 'its log'}:\n${redactSecretsInText(tail)}`;
    } catch (error) {
      if (signal.aborted) throw error;
      return `${nameOf(ref)}: could not be read (${error instanceof Error ? error.message : String(error)})`;
    }
  }));
  return sections.join('\n');
}

/** PM2's own log lines about the app and its errors (its pidusage noise left out), newest last. */
export function pm2DaemonErrors(log: string, app: string): string {
  return log.split('\n')
    .filter((line) => !/pidusage|pids provided is invalid/.test(line))
    .filter((line) => line.includes(`[${app}:`) || line.includes('PM2 error: '))
    .slice(-6).join('\n');
}

/** A gateway that keeps exiting on start, as seen by its supervisor. */
export interface CrashLoop {
  states: SupervisorState[];
  summary: string;
}

/**
 * Resolves once a supervised process is seen crash-looping — restarted twice more since its
 * first reading (one interval in), or given up on (PM2 `errored`, systemd `failed`) — and never otherwise (stop it
 * with `signal`). Real OpenClaw refusing its state exits 78 within a second or two of each start.
 */
export async function watchForCrashLoop(shell: RemoteShell, host: HostConfig, refs: readonly SupervisorRef[], signal: AbortSignal, intervalMs = 2000): Promise<CrashLoop> {
  const started = Date.now();
  // A gateway that is ready at once costs no `pm2 jlist`: the first reading waits one interval.
  await abortableSleep(intervalMs, signal);
  const baseline = await readSupervisors(shell, host, refs, signal);
  for (;;) {
    await abortableSleep(intervalMs, signal);
    const states = await readSupervisors(shell, host, refs, signal);
    const looping = states.filter((state, index) => {
      const first = baseline[index];
      const before = first?.restarts ?? null;
      if (state.status === 'errored' || state.status?.startsWith('failed')) return true;
      // Two readings 2 s apart: PM2 never got a process running.
      if (spawnFailed(state) && first !== undefined && spawnFailed(first)) return true;
      return before !== null && state.restarts !== null && state.restarts - before >= 2;
    });
    if (looping.length > 0) {
      const seconds = Math.round((Date.now() - started) / 1000);
      const what = looping.some(spawnFailed) ? 'the gateway does not start' : 'the gateway keeps exiting on start';
      return { states, summary: `${what} (within ${seconds} s): ${looping.map(describeState).join('; ')}` };
    }
  }
}
