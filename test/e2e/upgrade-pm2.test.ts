/**
 * PM2 upgrade end to end: two sshd hosts run the double 1.2.0 under PM2 (installed side by
 * side by a real `npm install`); `upgrade 1.3.0` goes through the real planner (facts over SSH,
 * changelogs from `npm pack` on a host, buildPlan) and the real engine and worker.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openclawVersion } from '../harness/openclaw.js';
import { pm2Jlist } from '../harness/pm2.js';
import { ENVIRONMENT, PM2_HOME, RELEASES_DIR, npmInstallRuns, requester, startUpgradeFleet, type UpgradeFleet } from '../harness/fleet-fixture.js';

let f: UpgradeFleet;

beforeAll(async () => {
  f = await startUpgradeFleet({ strategy: 'pm2', hosts: 2, versions: ['1.2.0', '1.3.0'], initialVersion: '1.2.0', redisPrefix: 'e2e-pm2' });
});
afterAll(async () => {
  await f?.stop();
});

test('a PM2 upgrade 1.2.0 -> 1.3.0 of two hosts ends with health verified; a second upgrade meanwhile is refused naming the holder', async () => {
  const started = performance.now();
  const submitted = await f.engine.submit(f.upgrade('1.3.0'), requester);
  if (!submitted.ok) throw new Error(submitted.message);
  const log = f.record(submitted.upgradeId);
  const { plan } = submitted;
  expect(plan).toMatchObject({ environment: ENVIRONMENT, strategy: 'pm2', fromVersions: { 'host-a': '1.2.0', 'host-b': '1.2.0' }, toVersion: '1.3.0' });

  // One environment, one upgrade at a time: the second is refused with who holds the lock.
  const second = await f.engine.submit(f.upgrade('1.3.0'), { platform: 'terminal', userId: 'carol', displayName: 'carol' });
  expect(second).toMatchObject({ ok: false, code: 'ENVIRONMENT_LOCKED' });
  expect(second.ok ? '' : second.message).toContain(`locked by alice since`);
  expect(second.ok ? '' : second.message).toContain(submitted.upgradeId);

  const finished = await log.waitFor((event) => event.type === 'finished', 90_000);
  const wallMs = performance.now() - started;
  expect(finished).toMatchObject({ outcome: 'succeeded' });
  const failed = log.events.filter((event) => event.type === 'step-failed');
  expect(failed).toEqual([]);

  for (const host of f.hosts) {
    // The verify phase checked live, ready and the version on each host.
    for (const suffix of ['health-live', 'health-ready', 'health-version']) {
      expect(log.events.some((event) => event.type === 'step-finished' && event.stepId === `${host.name}:${suffix}`)).toBe(true);
    }
    expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/current/bin/openclaw`)).version).toBe('1.3.0');
    // The old release stays installed side by side (a rollback is a switch back).
    expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/1.2.0/bin/openclaw`)).version).toBe('1.2.0');
    expect(await pm2Jlist(f.shell, host.target, { pm2Home: PM2_HOME })).toMatchObject([{ name: 'openclaw', status: 'online', restarts: 1 }]);
    expect(await f.schemaOf(host)).toBe(2);
    expect(await npmInstallRuns(host, '1.3.0')).toBe(1);
  }
  // The fleet-wide watch checked both hosts in one round.
  const watched = log.events.filter((event) => event.type === 'health' && event.results.length === 2);
  expect(watched.length).toBeGreaterThanOrEqual(1);
  const recordStep = log.events.find((event) => event.type === 'step-finished' && event.stepId === 'record');
  expect(recordStep).toMatchObject({ excerpt: expect.stringContaining('1.2.0 → 1.3.0') as unknown });
  const audit = await f.engine.audit.get(submitted.upgradeId);
  expect(audit?.outcome).toBe('succeeded');
  const slowest = log.events.flatMap((event) => event.type === 'step-finished' ? [`${event.stepId} ${event.durationMs} ms`] : [])
    .sort((a, b) => Number(b.split(' ')[1]) - Number(a.split(' ')[1])).slice(0, 4).join(', ');
  log.stop();
  process.stdout.write(`[bench] pm2 upgrade of 2 hosts: ${Math.round(wallMs)} ms wall, ${plan.steps.length} steps; slowest: ${slowest}\n`);
}, 120_000);
