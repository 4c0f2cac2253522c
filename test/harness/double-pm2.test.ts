import { afterAll, beforeAll, expect, test } from 'vitest';
import { withFleet, type TestHost } from './index.js';
import { gatewayEcosystemApp, HOST_NPM_PREFIX, installDouble, probeFromHost, startGatewayUnderPm2, useRegistry, waitReady } from './openclaw.js';
import { pm2Jlist, pm2Kill, pm2StartEcosystem } from './pm2.js';
import { startRegistry, type TestRegistry } from './registry.js';

const fx = withFleet(1);
let registry: TestRegistry | undefined;

beforeAll(async () => {
  const host = fx.hosts[0] as TestHost;
  registry = await startRegistry({ versions: ['1.2.0', '1.3.0', '1.3.1-neverready'], listen: [host.gatewayAddress] });
  await useRegistry(host, registry);
  await Promise.all([installDouble(fx.shell, host, '1.2.0'), installDouble(fx.shell, host, '1.3.1-neverready', { prefix: '/opt/releases/1.3.1-neverready' })]);
});
afterAll(async () => {
  await pm2Kill(fx.shell, (fx.hosts[0] as TestHost).target).catch(() => undefined);
  await registry?.stop();
});

test('PM2 pitfall: the bin under PM2\'s Node wrapper is "online" but never listens; dist/entry.js under Node works', async () => {
  const host = fx.hosts[0] as TestHost;
  const pkg = `${HOST_NPM_PREFIX}/lib/node_modules/openclaw`;
  const wrapped = { ...gatewayEcosystemApp({ appName: 'wrapped', port: 18800, stateDir: '/root/.openclaw-wrapped' }) };
  delete wrapped.interpreter;
  const entry = { ...wrapped, name: 'entry', script: `${pkg}/dist/entry.js`, args: ['gateway', 'run', '--port', '18801', '--bind', 'loopback'],
    env: { OPENCLAW_STATE_DIR: '/root/.openclaw-entry', OPENCLAW_DOUBLE_STARTUP_MS: '100' } };
  await pm2StartEcosystem(fx.shell, host.target, '/root/pitfall.config.js', [wrapped, entry]);
  expect(await waitReady(fx.shell, host, { port: 18801, timeoutMs: 15_000 })).toMatchObject({ status: 200 });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const apps = await pm2Jlist(fx.shell, host.target);
  expect(apps.find((app) => app.name === 'wrapped')).toMatchObject({ status: 'online', restarts: 0 });
  expect((await probeFromHost(fx.shell, host.target, 18800)).status).toBe(0);
});

test('a never-ready build installed side by side runs under PM2 but /readyz stays 503', async () => {
  const host = fx.hosts[0] as TestHost;
  await startGatewayUnderPm2(fx.shell, host, { prefix: '/opt/releases/1.3.1-neverready', port: 18802, stateDir: '/root/.openclaw-never', appName: 'never',
    env: { OPENCLAW_DOUBLE_STARTUP_MS: '100' } });
  await expect(waitReady(fx.shell, host, { port: 18802, timeoutMs: 1_500 })).rejects.toMatchObject({ code: 'HEALTH_FAILED' });
  expect(await probeFromHost(fx.shell, host.target, 18802)).toMatchObject({ status: 503, body: { ready: false } });
  expect(await probeFromHost(fx.shell, host.target, 18802, '/healthz')).toMatchObject({ status: 200, body: { ok: true, status: 'live' } });
});
