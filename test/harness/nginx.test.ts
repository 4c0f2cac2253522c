import { expect, test } from 'vitest';
import { withFleet, type TestHost } from './index.js';
import { startNginx } from './nginx.js';
import { pm2Kill, pm2StartEcosystem, TINY_SERVER_JS } from './pm2.js';

const fx = withFleet(1);

async function get(url: string): Promise<{ name: string }> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return await response.json() as { name: string };
      if (Date.now() > deadline) throw new Error(`${url}: HTTP ${response.status}`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('nginx inside a host proxies to blue, switches to green by rewriting the upstream file, and stops without a trace', async () => {
  const host = fx.hosts[0] as TestHost;
  await fx.shell.writeFile(host.target, '/opt/app/server.js', TINY_SERVER_JS);
  await pm2StartEcosystem(fx.shell, host.target, '/opt/app/ecosystem.config.js', [
    { name: 'blue', script: '/opt/app/server.js', env: { PORT: '18789', HOST: '127.0.0.1', APP_NAME: 'blue' } },
    { name: 'green', script: '/opt/app/server.js', env: { PORT: '19789', HOST: '127.0.0.1', APP_NAME: 'green' } },
  ]);
  const nginx = await startNginx(fx.shell, host.target, { port: 80, servers: ['127.0.0.1:18789'] });
  try {
    expect(await nginx.readUpstream()).toEqual(['127.0.0.1:18789']);
    expect((await host.nsExec(['pgrep', '-x', 'nginx'])).exitCode).toBe(0);
    expect((await get(`http://${host.address}:80/`)).name).toBe('blue');

    const started = performance.now();
    await nginx.setUpstream(['127.0.0.1:19789']);
    console.log(`nginx: upstream rewrite + nginx -t + reload over SSH took ${(performance.now() - started).toFixed(0)} ms`);
    expect(await nginx.readUpstream()).toEqual(['127.0.0.1:19789']);
    // Old workers finish their connections; new connections reach green.
    const deadline = Date.now() + 3_000;
    let name = '';
    while (Date.now() < deadline && (name = (await get(`http://${host.address}:80/`)).name) !== 'green') await new Promise((r) => setTimeout(r, 20));
    expect(name).toBe('green');
  } finally {
    await nginx.stop();
    await pm2Kill(fx.shell, host.target);
  }
  expect((await host.nsExec(['pgrep', '-x', 'nginx'])).exitCode).toBe(1);
  await expect(fetch(`http://${host.address}:80/`)).rejects.toThrow();
});
