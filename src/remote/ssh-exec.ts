/**
 * Runs one command line on an open SSH channel: output capture with a cap, exit status,
 * timeout and abort. The command is started without a pty.
 */
import { constants } from 'node:os';
import type { ClientChannel } from 'ssh2';
import { ClawopsError } from '../errors.js';
import { FENCE_EPILOGUE, fencePrelude, type HostFence } from './host-fence.js';

const PID_MARKER = 'clawops-pid:';
const PREFACE_LIMIT = 64 * 1024;

/**
 * Wraps a command line so that a timeout or abort can kill the whole command, not just its
 * first process. SSH `signal` requests cannot do it: OpenSSH refuses them for root logins
 * ("session signalling requires privilege separation") and delivers them to one process only.
 * So the session's shell first reports its pid on stderr (stripped again by {@link driveChannel}),
 * runs the command in the background (stdin handed through fd 3, since a background job would
 * otherwise read /dev/null) and, on TERM, kills its whole process group: `npm install` and every
 * script it spawned go together. Daemons a command starts (PM2, nginx) call setsid and live on.
 * A background job ignores SIGINT/SIGQUIT; commands here never rely on those.
 */
export function killableScript(command: string, fence?: HostFence): string {
  const prelude = fence === undefined ? '' : `${fencePrelude(fence)}\n`;
  const epilogue = fence === undefined ? '' : `; ${FENCE_EPILOGUE}`;
  return `printf '${PID_MARKER}%s\\n' "$$" >&2; trap 'kill -KILL 0' TERM; ${prelude}exec 3<&0; { ${command}\n} <&3 3<&- & c=$!; ${ORPHAN_WATCH} & w=$!; wait $c; s=$?; kill $w 2>/dev/null${epilogue}; exit $s`;
}

/**
 * sshd does not signal a command without a pty when the connection drops (a killed worker, a cut
 * network): the command would go on, unseen, racing the step a resumed upgrade runs again. So a
 * watcher checks every second whether the wrapper shell lost its parent (the session's sshd
 * process; the shell is then re-parented) and kills the whole process group if so. It holds none
 * of the channel's streams, so the channel still closes the moment the command ends; where
 * /proc/<pid>/stat cannot be read it does nothing.
 */
const ORPHAN_WATCH = `(while kill -0 $c 2>/dev/null; do p=$(cut -d' ' -f4 /proc/$$/stat 2>/dev/null) && [ -n "$p" ] && [ "$p" != "$PPID" ] && kill -KILL 0; sleep 1; done) </dev/null >/dev/null 2>&1`;

/** Keeps only the last `limit` bytes of a stream. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit) {
      const first = this.chunks[0] as Buffer;
      const excess = this.size - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  toString(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `[… ${this.dropped} earlier bytes dropped]\n${text}` : text;
  }
}

export interface ChannelRunOptions {
  stdin?: string | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  maxOutputBytes: number;
  /** For messages: which host, which command. */
  label: string;
  /** True once the connection under the channel is known to be gone. */
  connectionClosed: () => boolean;
  /** Sends TERM to the wrapper shell's pid on the host (over another channel). */
  kill: (pid: number) => void;
}

/** How long to wait for the channel to close (the command died) after we killed it. */
const KILL_GRACE_MS = 2_000;

export async function driveChannel(channel: ClientChannel, options: ChannelRunOptions): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const stdout = new TailBuffer(options.maxOutputBytes);
  const stderr = new TailBuffer(options.maxOutputBytes);
  channel.on('data', (chunk: Buffer) => stdout.push(chunk));
  let pid: number | undefined;
  let killWanted = false;
  let preface: Buffer | undefined = Buffer.alloc(0);
  channel.stderr.on('data', (chunk: Buffer) => {
    if (preface === undefined) {
      stderr.push(chunk);
      return;
    }
    // The wrapper's pid line (see killableScript) is taken out; the command never wrote it. A
    // login shell's startup files may print before it, so earlier lines pass through.
    preface = Buffer.concat([preface, chunk]);
    let newline: number;
    while (preface !== undefined && (newline = preface.indexOf(10)) >= 0) {
      const line = preface.subarray(0, newline + 1);
      preface = preface.subarray(newline + 1);
      const text = line.toString('utf8');
      if (text.startsWith(PID_MARKER)) {
        pid = Number(text.slice(PID_MARKER.length).trim());
        if (killWanted) options.kill(pid);
        if (preface.length > 0) stderr.push(preface);
        preface = undefined;
      } else {
        stderr.push(line);
      }
    }
    if (preface !== undefined && preface.length > PREFACE_LIMIT) {
      stderr.push(preface);
      preface = undefined;
    }
  });
  let exitCode: number | undefined;
  channel.on('exit', (code: number | null, signalName?: string) => {
    // ssh2 names signals with the SIG prefix; report them like a shell does (128 + number).
    const name = (signalName ?? 'SIGKILL').replace(/^(?!SIG)/, 'SIG') as keyof typeof constants.signals;
    exitCode = code ?? 128 + (constants.signals[name] ?? 9);
  });

  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    // Set once we killed the command: its channel close then reports this error, not a result.
    let settledBy: ClawopsError | undefined;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const terminate = (error: ClawopsError) => {
      if (settled) return;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      killWanted = true;
      if (pid !== undefined) options.kill(pid);
      settledBy = error;
      const grace = setTimeout(() => {
        try { channel.close(); } catch { /* the connection is already gone */ }
        finish(() => reject(error));
      }, KILL_GRACE_MS);
      channel.once('close', () => { clearTimeout(grace); finish(() => reject(error)); });
    };
    const onAbort = () => terminate(new ClawopsError('ABORTED', `cancelled: ${options.label}`, { reason: String(options.signal?.reason ?? '') }));
    channel.once('close', () => {
      if (settledBy) return;
      if (exitCode !== undefined) {
        finish(() => resolve({ exitCode: exitCode as number, stdout: stdout.toString(), stderr: stderr.toString() }));
      } else {
        const lost = options.connectionClosed() ? 'the SSH connection dropped' : 'the SSH channel closed without an exit status';
        finish(() => reject(new ClawopsError('SSH_DISCONNECTED', `${lost} while running ${options.label}; it may or may not have finished`,
          { stdout: stdout.toString(), stderr: stderr.toString() })));
      }
    });
    if (options.timeoutMs !== undefined) {
      const timeoutMs = options.timeoutMs;
      timer = setTimeout(() => terminate(new ClawopsError('COMMAND_TIMEOUT', `${options.label} did not finish within ${timeoutMs} ms and was killed`,
        { timeoutMs, stdout: stdout.toString(), stderr: stderr.toString() })), timeoutMs);
    }
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    channel.end(options.stdin ?? '');
  });
}

