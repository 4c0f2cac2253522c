/**
 * A worker SIGKILLed in the middle of a real upgrade (after host-a's install, while it waits for
 * the restarted gateway) is replaced by a new worker process, which resumes from the saved
 * cursor: the upgrade finishes and npm installed each release exactly once per host.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ATTEMPTS_DIR, actionsAfterTakeover, journalName, parseJournal } from '../../src/remote/host-fence.js';
import { workerChildren } from '../jobs/worker-children.js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openclawVersion } from '../harness/openclaw.js';
import { RELEASES_DIR, npmInstallRuns, requester, startUpgradeFleet, type UpgradeFleet } from '../harness/fleet-fixture.js';

let f: UpgradeFleet;
const workers = workerChildren();

beforeAll(async () => {
  // A slow start-up (1.5 s) gives the kill a readiness wait to land in.
  f = await startUpgradeFleet({ strategy: 'pm2', hosts: 2, versions: ['1.2.0', '1.3.0'], initialVersion: '1.2.0', redisPrefix: 'e2e-crash', worker: false, startupMs: 1500 });
});
afterAll(async () => {
  workers.killAll();
  await f?.stop();
});

test('a worker killed with SIGKILL mid-upgrade is replaced and the upgrade finishes without re-running the install', async () => {
  const submitted = await f.engine.submit(f.upgrade('1.3.0'), requester);
  if (!submitted.ok) throw new Error(submitted.message);
  const log = f.record(submitted.upgradeId);
  let worker = await workers.start('test/e2e/upgrade-worker-process.ts', { CLAWOPS_FLEET_CONFIG: JSON.stringify(f.configInput) });
  await log.waitFor((event) => event.type === 'step-started' && event.stepId === 'host-a:ready', 60_000);
  expect(log.events.some((event) => event.type === 'step-finished' && event.stepId === 'host-a:install')).toBe(true);
  await workers.stop(worker);
  expect(log.events.some((event) => event.type === 'step-finished' && event.stepId === 'host-a:ready')).toBe(false);

  worker = await workers.start('test/e2e/upgrade-worker-process.ts', { CLAWOPS_FLEET_CONFIG: JSON.stringify(f.configInput) });
  expect(await log.waitFor((event) => event.type === 'finished', 90_000)).toMatchObject({ outcome: 'succeeded' });
  const starts = (stepId: string) => log.events.filter((event) => event.type === 'step-started' && event.stepId === stepId).length;
  expect(starts('host-a:install')).toBe(1);
  expect(starts('host-a:ready')).toBe(2);
  for (const host of f.hosts) {
    // npm's own logs on the host: one install of 1.3.0 (and the fixture's one of 1.2.0).
    expect(await npmInstallRuns(host, '1.3.0')).toBe(1);
    expect(await npmInstallRuns(host, '1.2.0')).toBe(1);
    expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/current/bin/openclaw`)).version).toBe('1.3.0');
    // The host's own journal: both attempts ran there, and the first did nothing once the second began.
    const entries = parseJournal(await readFile(join(host.homeDir, ATTEMPTS_DIR, journalName(submitted.upgradeId)), 'utf8'));
    expect(new Set(entries.map((entry) => entry.token)).size).toBeGreaterThanOrEqual(2);
    expect(actionsAfterTakeover(entries)).toEqual([]);
  }
  log.stop();
  await workers.stop(worker);
}, 150_000);
