/** The engine against a real sshd test host: steps run over SSH with the project's SSH RemoteShell. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createEngine } from '../../src/jobs/engine.js';
import { withFleet } from '../harness/index.js';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { alice, makePlan, shStep } from '../jobs/fixtures.js';
import { record, upgradeCommand } from '../jobs/engine-harness.js';
import { quietLogger } from '../jobs/fixtures.js';

const fleet = withFleet(1);
let redis: RedisServer;
beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => { await redis.stop(); });

test('an upgrade plan runs over SSH on a real host: command, file write, version check', async () => {
  const [host] = fleet.hosts;
  if (!host) throw new Error('no host');
  const config = configSchema.parse({
    environments: { staging: { hosts: [host.hostConfig({ kind: 'pm2' }, { releasesDir: '/root/releases' })] } },
    redis: { url: redis.url, prefix: 'ssh' },
  });
  const script = '#!/bin/sh\necho "OpenClaw 2026.9.2 (abc1234)"\n';
  const plan = makePlan([
    shStep('install', 'mkdir -p /root/releases/2026.9.2/bin && echo installed > /root/install-marker', { kind: 'install' }),
    { ...shStep('write-bin', ''), action: { type: 'write-file', path: '/root/releases/2026.9.2/bin/openclaw', content: script } },
    shStep('switch', 'chmod +x /root/releases/2026.9.2/bin/openclaw && ln -sfn /root/releases/2026.9.2 /root/releases/current', { kind: 'switch' }),
    { ...shStep('version', ''), kind: 'verify', action: { type: 'version-check', expectVersion: '2026.9.2' } },
  ]);
  const engine = await createEngine({ config, shell: fleet.shell, logger: quietLogger(), planner: async () => plan });
  try {
    const result = await engine.submit(upgradeCommand(), alice);
    if (!result.ok) throw new Error(result.message);
    const log = record(engine, result.upgradeId);
    expect(await log.waitFor((event) => event.type === 'finished')).toMatchObject({ outcome: 'succeeded' });
    expect(log.events.filter((event) => event.type === 'step-finished').map((event) => 'stepId' in event && event.stepId))
      .toEqual(['install', 'write-bin', 'switch', 'version']);
    expect(await readFile(join(host.homeDir, 'install-marker'), 'utf8')).toBe('installed\n');
    log.stop();
  } finally {
    await engine.close();
  }
});
