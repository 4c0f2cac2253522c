import { expect, test } from 'vitest';
import { withFleet, type TestHost } from './index.js';
import { pm2Jlist, pm2Kill, pm2StartEcosystem, TINY_SERVER_JS } from './pm2.js';

const fx = withFleet(1);

test('PM2 on a host runs a tiny node HTTP server that answers from the root namespace, and pm2 kill leaves nothing', async () => {
  const host = fx.hosts[0] as TestHost;
  await fx.shell.writeFile(host.target, '/opt/app/server.js', TINY_SERVER_JS);
  await pm2StartEcosystem(fx.shell, host.target, '/opt/app/ecosystem.config.js', [
    { name: 'web', script: '/opt/app/server.js', env: { PORT: '18789', APP_NAME: 'web', APP_VERSION: '1.0.0' } },
  ]);
  const apps = await pm2Jlist(fx.shell, host.target);
  expect(apps).toMatchObject([{ name: 'web', status: 'online', execMode: 'fork_mode' }]);
  // PM2_HOME is the host's private /root/.pm2, never the machine's ~/.pm2.
  expect((await fx.shell.run(host.target, ['test', '-S', '/root/.pm2/rpc.sock'])).exitCode).toBe(0);

  const body = await fetchWithRetry(`http://${host.address}:18789/`);
  expect(JSON.parse(body)).toMatchObject({ name: 'web', version: '1.0.0', pid: apps[0]?.pid });

  expect((await host.nsExec(['pgrep', '-f', 'PM2|server.js'])).exitCode).toBe(0);
  await pm2Kill(fx.shell, host.target);
  expect((await host.nsExec(['pgrep', '-f', 'PM2|server.js'])).exitCode).toBe(1);
});

async function fetchWithRetry(url: string): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      const response = await fetch(url);
      return await response.text();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
