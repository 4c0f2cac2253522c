/**
 * A RemoteShell that runs argv on this machine with child_process (no shell in between), for
 * engine tests until the sshd test hosts land. It is a real shell implementation, not a fake:
 * processes run, exit codes and output are real, timeouts and aborts kill the process.
 * The target's `env` is applied like the SSH shell applies it; address/port/user are ignored.
 */
import { spawn } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ClawopsError } from '../../src/errors.js';
import type { RemoteShell, RemoteTarget, RunOptions, RunResult } from '../../src/remote/types.js';

export interface LocalShellOptions {
  /** Makes the next `run` on a host throw SSH_CONNECT_FAILED this many times (transient-error tests). */
  failConnects?: Record<string, number>;
}

export function createLocalShell(options: LocalShellOptions = {}): RemoteShell & { runs: string[][] } {
  const failConnects = { ...options.failConnects };
  const runs: string[][] = [];
  return {
    runs,
    async run(target: RemoteTarget, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
      const left = failConnects[target.name] ?? 0;
      if (left > 0) {
        failConnects[target.name] = left - 1;
        throw new ClawopsError('SSH_CONNECT_FAILED', `cannot reach ${target.name}`, { host: target.name });
      }
      if (opts.signal?.aborted) throw new ClawopsError('ABORTED', 'aborted before start', { host: target.name });
      const [file, ...args] = argv;
      if (file === undefined) throw new ClawopsError('INTERNAL', 'empty argv');
      runs.push([...argv]);
      const started = Date.now();
      return new Promise<RunResult>((resolve, reject) => {
        const child = spawn(file, args, {
          env: { ...process.env, ...target.env },
          ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        let failure: ClawopsError | undefined;
        child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
        child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
        const kill = (error: ClawopsError) => { failure ??= error; child.kill('SIGKILL'); };
        const timer = opts.timeoutMs === undefined ? undefined
          : setTimeout(() => kill(new ClawopsError('COMMAND_TIMEOUT', `${file} timed out after ${opts.timeoutMs} ms`, { host: target.name })), opts.timeoutMs);
        const onAbort = () => kill(new ClawopsError('ABORTED', `${file} aborted`, { host: target.name }));
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        child.on('error', (error: NodeJS.ErrnoException) => {
          // Like a remote shell: a missing program is exit 127, not a transport error.
          if (error.code === 'ENOENT') stderr += `sh: ${file}: not found\n`;
          else failure ??= new ClawopsError('INTERNAL', `cannot start ${file}: ${error.message}`, { host: target.name });
        });
        child.on('close', (code) => {
          if (timer) clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          if (failure) reject(failure);
          else resolve({ exitCode: code ?? 127, stdout, stderr, durationMs: Date.now() - started });
        });
        // A command that exits without reading stdin closes the pipe: not an error.
        child.stdin.on('error', () => undefined);
        child.stdin.end(opts.stdin ?? '');
      });
    },
    async writeFile(target: RemoteTarget, path: string, content: string): Promise<void> {
      if ((failConnects[target.name] ?? 0) > 0) {
        failConnects[target.name] = (failConnects[target.name] ?? 1) - 1;
        throw new ClawopsError('SSH_CONNECT_FAILED', `cannot reach ${target.name}`, { host: target.name });
      }
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.clawops-${process.pid}-${Date.now()}`;
      await writeFile(temp, content);
      await rename(temp, path);
    },
    async close() {},
  };
}
