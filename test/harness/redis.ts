import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.js';

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  /** Stops and starts the same server on the same port (with AOF, data survives). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a private redis-server on a free loopback port in a temp dir. `appendonly` for restart tests. */
export async function startRedis(options: { appendOnly?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'clawops-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', options.appendOnly ? 'yes' : 'no', '--pidfile', join(dir, 'redis.pid')];
  let child = spawn('redis-server', args, { stdio: 'ignore' });
  await waitForPort(port);
  const stopChild = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async restart() {
      await stopChild();
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await waitForPort(port);
    },
    async stop() {
      await stopChild();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
