/**
 * nginx inside a test host, started over SSH with a private config: its own prefix, pid file,
 * temp paths and `-e` error log, and the upstream block in a separate include file, which is
 * what the blue-green strategy rewrites (DESIGN §5: rewrite + `nginx -t` + reload, 11-34 ms).
 */
import type { RemoteShell, RemoteTarget, RunResult } from '../../src/remote/types.js';

export interface StartNginxOptions {
  /** Everything nginx writes lives here, inside the host's private /opt (default /opt/nginx). */
  prefix?: string;
  /** Port nginx listens on inside the host (default 80: each host has its own network stack). */
  port?: number;
  upstreamName?: string;
  /** `host:port` backends for the upstream block, e.g. `127.0.0.1:18789`. */
  servers: readonly string[];
}

/** A running nginx on one host. */
export interface HostNginx {
  prefix: string;
  confPath: string;
  upstreamFile: string;
  upstreamName: string;
  pidFile: string;
  port: number;
  /** The argv that check and reload this instance (for a blue-green strategy's `nginx.test` / `nginx.reload`). */
  testArgv: string[];
  reloadArgv: string[];
  /** Backends currently in the upstream file. */
  readUpstream(): Promise<string[]>;
  /** Rewrites the upstream file, checks the config and reloads. */
  setUpstream(servers: readonly string[]): Promise<void>;
  reload(): Promise<void>;
  /** Graceful quit; resolves once the pid file is gone and the port is closed. */
  stop(): Promise<void>;
}

export function upstreamBlock(name: string, servers: readonly string[]): string {
  return `upstream ${name} {\n${servers.map((server) => `  server ${server};\n`).join('')}  keepalive 8;\n}\n`;
}

function nginxConf(prefix: string, port: number, upstreamFile: string, upstreamName: string): string {
  return `# clawops test nginx
user root;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  include ${upstreamFile};
  server {
    listen ${port};
    location / {
      proxy_pass http://${upstreamName};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout;
    }
  }
}
`;
}

async function must(result: Promise<RunResult>, what: string): Promise<RunResult> {
  const done = await result;
  if (done.exitCode !== 0) throw new Error(`${what} failed (exit ${done.exitCode}): ${done.stderr.trim() || done.stdout.trim()}`);
  return done;
}

/** Starts nginx on the host and waits until it answers on its port (checked from inside the host). */
export async function startNginx(shell: RemoteShell, target: RemoteTarget, options: StartNginxOptions): Promise<HostNginx> {
  const prefix = options.prefix ?? '/opt/nginx';
  const port = options.port ?? 80;
  const upstreamName = options.upstreamName ?? 'openclaw_backend';
  const confPath = `${prefix}/conf/nginx.conf`;
  const upstreamFile = `${prefix}/conf/upstream.conf`;
  const pidFile = `${prefix}/nginx.pid`;
  const base = ['nginx', '-p', `${prefix}/`, '-c', confPath, '-e', `${prefix}/logs/error.log`];
  const testArgv = [...base, '-t', '-q'];
  const reloadArgv = [...base, '-s', 'reload'];
  await must(shell.run(target, ['mkdir', '-p', `${prefix}/conf`, `${prefix}/logs`, `${prefix}/tmp`]), 'creating the nginx prefix');
  await shell.writeFile(target, upstreamFile, upstreamBlock(upstreamName, options.servers));
  await shell.writeFile(target, confPath, nginxConf(prefix, port, upstreamFile, upstreamName));
  await must(shell.run(target, testArgv), 'nginx -t');
  await must(shell.run(target, base), 'starting nginx');
  await waitFor(shell, target, ['test', '-s', pidFile], 0, `nginx pid file ${pidFile}`);

  const reload = async () => {
    await must(shell.run(target, testArgv), 'nginx -t');
    await must(shell.run(target, reloadArgv), 'nginx -s reload');
  };
  return {
    prefix, confPath, upstreamFile, upstreamName, pidFile, port, testArgv, reloadArgv,
    async readUpstream() {
      const { stdout } = await must(shell.run(target, ['cat', upstreamFile]), 'reading the upstream file');
      return [...stdout.matchAll(/^\s*server\s+([^\s;]+)[^;]*;/gm)].map((match) => match[1] as string);
    },
    async setUpstream(servers) {
      await shell.writeFile(target, upstreamFile, upstreamBlock(upstreamName, servers));
      await reload();
    },
    reload,
    async stop() {
      await shell.run(target, [...base, '-s', 'quit']);
      // nginx removes its pid file as the master exits; /proc may still show a zombie.
      await waitFor(shell, target, ['test', '-e', pidFile], 1, `nginx to exit (${pidFile})`);
    },
  };
}

async function waitFor(shell: RemoteShell, target: RemoteTarget, argv: readonly string[], exitCode: number, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await shell.run(target, argv)).exitCode !== exitCode) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} on ${target.name}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
