/**
 * Runs stamped copies of the double as local processes (no npm, no hosts) for its own tests.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cleanNpmEnv, stampDouble, type DoubleVersion } from '../harness/registry.js';

const execFileAsync = promisify(execFile);

export interface LocalRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface LocalGateway {
  child: ChildProcess;
  port: number;
  output(): string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string>;
}

export interface LocalDoubles {
  dir: string;
  /** Runs `openclaw <args>` of that version to completion. */
  run(version: string, args: readonly string[], env?: Record<string, string>): Promise<LocalRun>;
  /** Starts `openclaw gateway run --port <port>`; resolves once it logged "listening" (or exited). */
  gateway(version: string, port: number, env?: Record<string, string>): Promise<LocalGateway>;
  cleanup(): Promise<void>;
}

/** Stamps each version into a temp dir and completes its lifecycle (runs its postinstall). */
export async function localDoubles(versions: ReadonlyArray<string | DoubleVersion>, baseEnv: Record<string, string>): Promise<LocalDoubles> {
  const dir = await mkdtemp(join(tmpdir(), 'clawops-double-'));
  const children = new Set<ChildProcess>();
  await Promise.all(versions.map(async (entry) => {
    const spec = typeof entry === 'string' ? { version: entry } : entry;
    const root = join(dir, spec.version);
    await stampDouble(spec, root);
    await execFileAsync(process.execPath, [join(root, 'scripts', 'postinstall.js')]);
  }));
  const bin = (version: string) => join(dir, version, 'openclaw.js');
  const env = (extra: Record<string, string> = {}) => cleanNpmEnv({ ...baseEnv, ...extra });
  return {
    dir,
    run: (version, args, extra) => new Promise((resolve) => {
      execFile(process.execPath, [bin(version), ...args], { env: env(extra), timeout: 20_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    }),
    gateway: (version, port, extra) => new Promise((resolve) => {
      const child = spawn(process.execPath, [bin(version), 'gateway', 'run', '--port', String(port), '--bind', 'loopback'], { env: env(extra) });
      children.add(child);
      let output = '';
      const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => { children.delete(child); done(code ?? signal ?? -1); }));
      const handle: LocalGateway = { child, port, output: () => output, exited };
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('listening on')) resolve(handle);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then(() => resolve(handle));
    }),
    async cleanup() {
      await Promise.all([...children].map((child) => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGKILL'); })));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
