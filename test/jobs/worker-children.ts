/**
 * Worker processes for crash tests: each in its own process group, so a SIGKILL to the group
 * takes the worker and every command it runs, like a crash of the worker's machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface WorkerChildren {
  /** Starts `script` (run through tsx) and resolves once it prints "ready". */
  start(script: string, env: Record<string, string>): Promise<ChildProcess>;
  /** SIGKILL to the whole group (a crash), or SIGTERM to the worker alone (a graceful stop); waits for exit. */
  stop(child: ChildProcess, signal?: NodeJS.Signals): Promise<void>;
  /** Kills every worker still running (afterAll). */
  killAll(): void;
}

export function workerChildren(): WorkerChildren {
  const children = new Set<ChildProcess>();
  const signal = (child: ChildProcess, sig: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try { process.kill(sig === 'SIGKILL' ? -child.pid : child.pid, sig); } catch { /* already gone */ }
  };
  return {
    async start(script, env) {
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: process.cwd(), env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.add(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) resolve(); });
        child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
      });
      return child;
    },
    async stop(child, sig = 'SIGKILL') {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      signal(child, sig);
      await exited;
      children.delete(child);
    },
    killAll() {
      for (const child of children) signal(child, 'SIGKILL');
    },
  };
}
