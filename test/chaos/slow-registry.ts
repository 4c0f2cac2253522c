/**
 * A slow registry in front of the fleet's: it forwards every request to the test registry and,
 * once enabled, holds back the packument and one release's tarball, so that release's `npm install`
 * on a host is a command that runs for seconds (long enough for a kill, an outage or a cut to land
 * while it runs). Enabled after planning: the planner's changelog read fetches the tarball into
 * npm's cache, after which only the packument (revalidated by every install) still goes out.
 */
import { appendFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { TestHost } from '../harness/hosts.js';
import type { TestRegistry } from '../harness/registry.js';

export interface SlowRegistry {
  enable(): void;
  stop(): Promise<void>;
}

/** Points each host's npm at a proxy (on its gateway address) that, once enabled, delays what `npm install openclaw@<version>` fetches by `delayMs`. */
export async function slowRegistry(hosts: readonly TestHost[], registry: TestRegistry, version: string, delayMs: number): Promise<SlowRegistry> {
  const servers: Server[] = [];
  const slowPaths = ['/openclaw', `/openclaw/-/openclaw-${version}.tgz`];
  let enabled = false;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // The Host header goes through unchanged: the packument's tarball URLs then point back here.
    const forward = () => req.pipe(request({ host: '127.0.0.1', port: registry.port, path: req.url, method: req.method, headers: req.headers }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(res);
    }).on('error', () => { res.destroy(); }));
    if (enabled && slowPaths.includes((req.url ?? '').split('?')[0] ?? '')) setTimeout(forward, delayMs);
    else forward();
  };
  let port = 0;
  for (const host of hosts) {
    const server = createServer(handle);
    port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host.gatewayAddress, () => {
        const bound = server.address();
        resolve(typeof bound === 'object' && bound ? bound.port : port);
      });
    });
    servers.push(server);
    // npm reads .npmrc top to bottom and the last `registry=` wins.
    await appendFile(join(host.homeDir, '.npmrc'), `registry=http://${host.gatewayAddress}:${port}/\n`);
  }
  return {
    enable() { enabled = true; },
    async stop() {
      await Promise.all(servers.map((server) => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); })));
    },
  };
}
