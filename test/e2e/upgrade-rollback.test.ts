/**
 * A version that never turns ready: the upgrade fails at its readiness wait after the switch and
 * proposes a rollback. 1.2.0 -> 1.3.0 moves the double's state schema (1 -> 2) on start-up, and
 * 1.2.0 refuses schema 2, so the approved rollback restores the pre-upgrade backup — on the host
 * the upgrade reached; the second host (never touched: hosts go one batch at a time) keeps running.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openclawVersion, probeFromHost } from '../harness/openclaw.js';
import { pm2Jlist } from '../harness/pm2.js';
import { approver, PM2_HOME, RELEASES_DIR, requester, startUpgradeFleet, type UpgradeFleet } from '../harness/fleet-fixture.js';

let f: UpgradeFleet;

beforeAll(async () => {
  f = await startUpgradeFleet({
    strategy: 'pm2', hosts: 2, versions: ['1.2.0', { version: '1.3.0', neverReady: true }], initialVersion: '1.2.0',
    redisPrefix: 'e2e-rb', readySeconds: 3,
  });
});
afterAll(async () => {
  await f?.stop();
});

test('a never-ready version proposes rollback; the approved rollback restores the backup and the old schema', async () => {
  const [host, untouched] = f.hosts;
  if (!host || !untouched) throw new Error('fixture has no hosts');
  const upgrade = await f.engine.submit(f.upgrade('1.3.0'), requester);
  if (!upgrade.ok) throw new Error(upgrade.message);
  const log = f.record(upgrade.upgradeId);
  const proposed = await log.waitFor((event) => event.type === 'rollback-proposed', 60_000);
  expect(proposed).toMatchObject({ reason: expect.stringContaining('ready') as unknown });
  expect(await log.waitFor((event) => event.type === 'finished')).toMatchObject({ outcome: 'failed' });
  expect(log.events.find((event) => event.type === 'step-failed')).toMatchObject({ stepId: 'host-a:ready' });
  // The new build migrated the state forward before it hung: 1.2.0 cannot simply switch back.
  expect(await f.schemaOf(host)).toBe(2);
  log.stop();

  const rollback = await f.engine.submit(f.rollback(), requester);
  if (!rollback.ok) throw new Error(rollback.message);
  expect(rollback.plan).toMatchObject({ kind: 'rollback', toVersion: '1.2.0', backupId: upgrade.upgradeId, fromVersions: { 'host-a': '1.3.0', 'host-b': '1.2.0' } });
  const stepIds = rollback.plan.steps.map((step) => step.id);
  expect(stepIds).toContain('host-a:restore-extract');
  // host-b has no backup of this upgrade and never left 1.2.0: only probed and verified.
  expect(stepIds.filter((id) => id.startsWith('host-b:'))).toEqual(['host-b:probe', 'host-b:health-live', 'host-b:health-ready', 'host-b:health-version', 'host-b:health-channels', 'host-b:health-doctor']);
  const rlog = f.record(rollback.upgradeId);
  expect(await rlog.waitFor((event) => event.type === 'gate-waiting', 30_000)).toMatchObject({ gateId: 'rollback' });
  // Nothing ran before the approval.
  expect(rlog.events.some((event) => event.type === 'step-started')).toBe(false);
  expect(await f.engine.decide(rollback.upgradeId, { ...approver, decision: 'approve' })).toMatchObject({ counted: true });
  const finished = await rlog.waitFor((event) => event.type === 'finished', 60_000);
  expect(rlog.events.filter((event) => event.type === 'step-failed')).toEqual([]);
  expect(finished).toMatchObject({ outcome: 'succeeded' });

  expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/current/bin/openclaw`)).version).toBe('1.2.0');
  expect(await f.schemaOf(host)).toBe(1);
  expect(await probeFromHost(f.shell, host.target, 18789)).toMatchObject({ status: 200, body: { ready: true } });
  expect(await pm2Jlist(f.shell, host.target, { pm2Home: PM2_HOME })).toMatchObject([{ name: 'openclaw', status: 'online' }]);
  expect(await pm2Jlist(f.shell, untouched.target, { pm2Home: PM2_HOME })).toMatchObject([{ name: 'openclaw', status: 'online', restarts: 0 }]);
  expect(await f.schemaOf(untouched)).toBe(1);
  // The state the failed version migrated is kept aside, not deleted.
  const aside = await f.shell.run(host.target, ['sh', '-c', 'ls -d /root/.openclaw.rolled-back-*']);
  expect(aside.exitCode).toBe(0);
  rlog.stop();
}, 120_000);
