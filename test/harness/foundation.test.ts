import { Redis } from 'ioredis';
import { connect } from 'node:net';
import { expect, test } from 'vitest';
import { createSshShell } from '../../src/remote/ssh-shell.js';
import { netnsOfRun, processesInPidNamespace, startHosts, type TestFleet } from './hosts.js';
import { installDouble, openclawVersion, probeFromHost, startGatewayUnderPm2, useRegistry, waitReady } from './openclaw.js';
import { pm2Jlist, pm2Kill } from './pm2.js';
import { startRedis, type RedisServer } from './redis.js';
import { startRegistry, type TestRegistry } from './registry.js';

// Foundation "done when": Redis and two sshd hosts; the double 1.2.0 installed on both with a
// real npm install through the RemoteShell; its gateway under PM2; /readyz and --version read
// from each host; everything stopped with no process left.
test('two hosts install openclaw@1.2.0 from the registry over SSH, run it under PM2, report ready and the version, then stop clean', async () => {
  const shell = createSshShell();
  let redis: RedisServer | undefined;
  let fleet: TestFleet | undefined;
  let registry: TestRegistry | undefined;
  try {
    [redis, fleet] = await Promise.all([startRedis(), startHosts(2)]);
    registry = await startRegistry({ versions: ['1.2.0', '1.3.0'], listen: ['127.0.0.1', ...fleet.hosts.map((host) => host.gatewayAddress)] });
    await Promise.all(fleet.hosts.map((host) => useRegistry(host, registry as TestRegistry)));

    const results = await Promise.all(fleet.hosts.map(async (host) => {
      const bin = await installDouble(shell, host, '1.2.0');
      await startGatewayUnderPm2(shell, host, { port: 18789, stateDir: '/root/.openclaw', appName: 'openclaw', env: { OPENCLAW_DOUBLE_STARTUP_MS: '300' } });
      const ready = await waitReady(shell, host, { port: 18789, timeoutMs: 20_000 });
      const version = await openclawVersion(shell, host, bin);
      const apps = await pm2Jlist(shell, host.target);
      const status = await shell.run(host.target, [bin, 'gateway', 'status', '--json', '--port', '18789']);
      return { host, ready, version, apps, status };
    }));

    for (const { host, ready, version, apps, status } of results) {
      expect(ready).toMatchObject({ status: 200, body: { ready: true, failing: [] } });
      expect(version.version).toBe('1.2.0');
      expect(apps).toMatchObject([{ name: 'openclaw', status: 'online', execMode: 'fork_mode' }]);
      expect(JSON.parse(status.stdout)).toMatchObject({ rpc: { ok: true, server: { version: '1.2.0' } } });
      // The gateway is bound to loopback inside the host: the root namespace cannot reach it.
      await expect(fetch(`http://${host.address}:18789/readyz`, { signal: AbortSignal.timeout(1_000) })).rejects.toThrow();
    }
    // Every host fetched the packument and the tarball from the registry over its own veth.
    expect(registry.requests.filter((line) => line === 'GET /openclaw/-/openclaw-1.2.0.tgz')).toHaveLength(2);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }

    for (const host of fleet.hosts) {
      await pm2Kill(shell, host.target);
      expect((await probeFromHost(shell, host.target, 18789)).status).toBe(0);
    }
    const namespaces = fleet.hosts.map((host) => host.pidNamespace);
    const runId = fleet.runId;
    await shell.close();
    await fleet.stop();
    fleet = undefined;
    for (const ns of namespaces) expect(await processesInPidNamespace(ns)).toEqual([]);
    expect(await netnsOfRun(runId)).toEqual([]);
    const { port } = redis;
    await redis.stop();
    redis = undefined;
    await registry.stop();
    expect(await accepts(port)).toBe(false);
    expect(await accepts(registry.port)).toBe(false);
    registry = undefined;
  } finally {
    await shell.close();
    await fleet?.stop();
    await registry?.stop();
    await redis?.stop();
  }
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
