/**
 * The RemoteShell over SSH (node-ssh / ssh2): pinned host keys, one reused connection per
 * target, argv quoted by the one helper (quote.ts) and joined only here.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { ClientChannel } from 'ssh2';
import { ClawopsError, isClawopsError } from '../errors.js';
import { quoteArg, toShellCommand } from './quote.js';
import {
  acquireChannel, connectionKey, describeTarget, hostKeyMismatch, openConnection, releaseChannel,
  type RemoteLogger, type SshConnection,
} from './ssh-connection.js';
import { driveChannel, killableScript } from './ssh-exec.js';
import { SUPERSEDED_EXIT, SUPERSEDED_MARKER } from './host-fence.js';
import type { RemoteShell, RemoteTarget, RunOptions, RunResult } from './types.js';

export type { RemoteLogger } from './ssh-connection.js';

/** Settings for {@link createSshShell}. */
export interface SshShellOptions {
  logger?: RemoteLogger;
  /** Handshake + authentication deadline (default 10 s). */
  connectTimeoutMs?: number;
  /** SSH keepalive interval; three missed replies drop the connection (default 5 s). */
  keepaliveMs?: number;
  /** stdout and stderr each keep their last this-many bytes (default 1 MiB). */
  maxOutputBytes?: number;
  /** Concurrent commands per connection; OpenSSH's MaxSessions defaults to 10 (default 8). */
  maxChannelsPerConnection?: number;
}

/** Thrown inside run when the command provably never started, so it is safe to send again. */
class NotStarted extends Error {}

export function createSshShell(options: SshShellOptions = {}): RemoteShell {
  const settings = { connectTimeoutMs: options.connectTimeoutMs ?? 10_000, keepaliveMs: options.keepaliveMs ?? 5_000, logger: options.logger };
  const maxOutputBytes = options.maxOutputBytes ?? 1024 * 1024;
  const maxChannels = options.maxChannelsPerConnection ?? 8;
  const connections = new Map<string, Promise<SshConnection>>();
  let closed = false;

  async function connection(target: RemoteTarget, signal: AbortSignal | undefined): Promise<SshConnection> {
    if (closed) throw new ClawopsError('ABORTED', 'the SSH shell was closed');
    const key = connectionKey(target);
    let pending = connections.get(key);
    if (pending) {
      // A connect that failed is shared by everyone who waited on it (and then forgotten, below).
      const existing = await withAbort(pending, signal);
      if (!existing.closed) {
        // A target with another pin must not ride on a connection verified against a different key.
        if (existing.hostKey !== target.hostKey) throw hostKeyMismatch(target, existing.hostKey);
        return existing;
      }
      if (connections.get(key) === pending) connections.delete(key);
    }
    pending = connections.get(key) ?? openConnection(target, settings);
    const opened = pending;
    connections.set(key, opened);
    // Concurrent first callers share this promise; a failed attempt is forgotten so the next call retries.
    opened.catch(() => { if (connections.get(key) === opened) connections.delete(key); });
    return withAbort(opened, signal);
  }

  async function execScript(target: RemoteTarget, script: string, label: string, runOptions: RunOptions): Promise<RunResult> {
    const started = performance.now();
    const signal = runOptions.signal;
    if (signal?.aborted) throw new ClawopsError('ABORTED', `cancelled before running ${label}`);
    for (let attempt = 1; ; attempt++) {
      const conn = await connection(target, signal);
      await acquireChannel(conn, maxChannels, signal);
      try {
        const result = await openExec(conn, killableScript(script, runOptions.fence), (channel) => driveChannel(channel, {
          stdin: runOptions.stdin, timeoutMs: runOptions.timeoutMs, signal, maxOutputBytes, label, connectionClosed: () => conn.closed,
          kill: (pid) => killRemote(conn, pid, settings.logger),
        }));
        const durationMs = Math.round(performance.now() - started);
        if (runOptions.fence !== undefined && result.exitCode === SUPERSEDED_EXIT && result.stderr.includes(SUPERSEDED_MARKER)) {
          const { upgradeId, token } = runOptions.fence;
          throw new ClawopsError('SUPERSEDED', `${target.name} refused ${label}: a newer attempt than ${token} of ${upgradeId} has run there`, { host: target.name });
        }
        settings.logger?.debug({ host: target.name, command: label, exitCode: result.exitCode, durationMs }, 'remote command finished');
        return { ...result, durationMs };
      } catch (error) {
        if (error instanceof NotStarted) {
          // Reconnect once, and only when the command never reached the server.
          if (conn.closed && attempt === 1) {
            settings.logger?.debug({ host: target.name, reason: error.message }, 'ssh connection was gone; reconnecting');
            continue;
          }
          throw new ClawopsError(conn.closed ? 'SSH_DISCONNECTED' : 'SSH_CONNECT_FAILED',
            `could not start ${label} on ${describeTarget(target)}: ${error.message}`, { host: target.name });
        }
        if (isClawopsError(error)) throw withHost(error, target);
        throw error;
      } finally {
        releaseChannel(conn);
      }
    }
  }

  return {
    async run(target, argv, runOptions = {}) {
      const env = { ...target.env, ...runOptions.env };
      const command = toShellCommand(argv, { env, cwd: runOptions.cwd });
      return execScript(target, command, `\`${argv.join(' ')}\``, runOptions);
    },

    async writeFile(target, path, content, runOptions = {}) {
      // Same directory as the target, so `mv` is an atomic rename; the random part keeps concurrent writers apart.
      const temp = `${path}.clawops-${randomBytes(6).toString('hex')}.tmp`;
      const [dir, tmp, dest] = [quoteArg(posix.dirname(path)), quoteArg(temp), quoteArg(path)];
      const script = `{ mkdir -p -- ${dir} && cat > ${tmp} && mv -f -- ${tmp} ${dest}; } || { status=$?; rm -f -- ${tmp}; exit "$status"; }`;
      const result = await execScript(target, script, `write ${path}`, { ...runOptions, stdin: content });
      if (result.exitCode !== 0) {
        throw new ClawopsError('STEP_FAILED', `writing ${path} on ${target.name} failed (exit ${result.exitCode}): ${result.stderr.trim()}`,
          { host: target.name, path, exitCode: result.exitCode, stderr: result.stderr });
      }
    },

    async close() {
      closed = true;
      const pending = [...connections.values()];
      connections.clear();
      await Promise.all(pending.map(async (opened) => {
        const conn = await opened.catch(() => undefined);
        if (!conn || conn.closed) return;
        const gone = new Promise<void>((resolve) => {
          conn.client.once('close', () => resolve());
          setTimeout(resolve, 1_000).unref();
        });
        conn.client.end();
        await gone;
      }));
    },
  };
}

/**
 * Starts the command and hands the channel to `drive` synchronously: ssh2 parses a whole TCP
 * chunk at once, so a fast command's exit status can arrive in the same tick as the exec reply,
 * before any later-attached listener would see it.
 */
function openExec<T>(conn: SshConnection, command: string, drive: (channel: ClientChannel) => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    if (conn.closed) {
      reject(new NotStarted('connection closed'));
      return;
    }
    try {
      conn.client.exec(command, (error, channel) => (error ? reject(new NotStarted(error.message)) : resolve(drive(channel))));
    } catch (error) {
      // ssh2 throws synchronously when the socket is no longer writable.
      conn.closed = true;
      reject(new NotStarted((error as Error).message));
    }
  });
}

/** TERM to the wrapper shell, whose trap then kills the command's whole process group. */
function killRemote(conn: SshConnection, pid: number, logger: RemoteLogger | undefined): void {
  if (conn.closed || !Number.isInteger(pid) || pid <= 1) return;
  try {
    conn.client.exec(`kill -TERM ${pid}`, (error, channel) => {
      if (error) {
        logger?.warn({ connection: conn.key, pid, reason: error.message }, 'could not kill a remote command');
        return;
      }
      channel.resume();
      channel.stderr.resume();
      channel.end();
    });
  } catch (error) {
    logger?.warn({ connection: conn.key, pid, reason: (error as Error).message }, 'could not kill a remote command');
  }
}

function withHost(error: ClawopsError, target: RemoteTarget): ClawopsError {
  if ('host' in error.details) return error;
  return new ClawopsError(error.code, `${error.message} (on ${describeTarget(target)})`, { ...error.details, host: target.name }, { cause: error.cause });
}

async function withAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) throw new ClawopsError('ABORTED', 'cancelled while connecting');
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ClawopsError('ABORTED', 'cancelled while connecting'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
