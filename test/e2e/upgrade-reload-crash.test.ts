/**
 * A worker SIGKILLed while `pm2 reload` runs: PM2's daemon finishes the reload without the CLI,
 * so the gateway has already restarted on the new release. The new worker checks the reload
 * against the process noted before it (src/runbook/restart-mark.ts) and skips it, without asking
 * in the thread, and the gateway restarts exactly once. Killed as soon as the reload step starts,
 * the reload may not have reached PM2 yet: then the check says so and the new worker runs it.
 */
import { workerChildren } from '../jobs/worker-children.js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openclawVersion } from '../harness/openclaw.js';
import { pm2Jlist } from '../harness/pm2.js';
import { PM2_HOME, RELEASES_DIR, requester, startUpgradeFleet, type UpgradeFleet } from '../harness/fleet-fixture.js';

let f: UpgradeFleet;
const workers = workerChildren();

beforeAll(async () => {
  // The old gateway takes 2.5 s to drain on SIGINT, and `pm2 reload` (fork mode: stop, then start) waits for it: the kill lands inside the reload.
  f = await startUpgradeFleet({
    strategy: 'pm2', hosts: 1, versions: ['1.2.0', '1.3.0', '1.4.0'], initialVersion: '1.2.0', redisPrefix: 'e2e-reload-crash', worker: false,
    gatewayEnv: { OPENCLAW_DOUBLE_DRAIN_MS: '2500' },
  });
});
afterAll(async () => {
  workers.killAll();
  await f?.stop();
});

function hostA() {
  const host = f.hosts[0];
  if (host === undefined) throw new Error('no host');
  return host;
}

async function app() {
  const found = (await pm2Jlist(f.shell, hostA().target, { pm2Home: PM2_HOME })).find((entry) => entry.name === 'openclaw');
  if (found === undefined) throw new Error('no openclaw app in pm2 jlist');
  return found;
}

/** Submits the upgrade and starts a worker; resolves once host-a's reload step started. */
async function upgradeUntilReload(version: string) {
  const submitted = await f.engine.submit(f.upgrade(version), requester);
  if (!submitted.ok) throw new Error(submitted.message);
  const log = f.record(submitted.upgradeId);
  const worker = await workers.start('test/e2e/upgrade-worker-process.ts', { CLAWOPS_FLEET_CONFIG: JSON.stringify(f.configInput) });
  await log.waitFor((event) => event.type === 'step-started' && event.stepId === 'host-a:reload', 60_000);
  return { log, worker };
}

/** Kills `worker`, lets a new one finish the upgrade; no confirm gate was asked and the gateway restarted once, onto `version`. */
async function finishAfterCrash(run: Awaited<ReturnType<typeof upgradeUntilReload>>, before: { restarts: number; pid: number }, version: string, afterKill = async () => {}) {
  await workers.stop(run.worker);
  await afterKill();
  expect(run.log.events.some((event) => event.type === 'step-finished' && event.stepId === 'host-a:reload')).toBe(false);
  const worker = await workers.start('test/e2e/upgrade-worker-process.ts', { CLAWOPS_FLEET_CONFIG: JSON.stringify(f.configInput) });
  expect(await run.log.waitFor((event) => event.type === 'finished', 90_000)).toMatchObject({ outcome: 'succeeded' });
  expect(run.log.events.filter((event) => event.type === 'gate-waiting')).toEqual([]);
  // PM2's own count: one restart, whichever worker ran it.
  const after = await app();
  expect(after).toMatchObject({ status: 'online', restarts: before.restarts + 1 });
  expect(after.pid).not.toBe(before.pid);
  expect((await openclawVersion(f.shell, hostA(), `${RELEASES_DIR}/current/bin/openclaw`)).version).toBe(version);
  run.log.stop();
  await workers.stop(worker);
  return run.log.events;
}

const reloadStarts = (events: readonly { type: string; stepId?: string }[]) => events.filter((event) => event.type === 'step-started' && event.stepId === 'host-a:reload').length;
const reloadSkipped = expect.objectContaining({ type: 'step-skipped', stepId: 'host-a:reload', reason: expect.stringContaining('its check says it is already done') });

test('a worker killed during pm2 reload is replaced; the reload is checked, skipped without a confirm gate, and ran once', async () => {
  const before = await app();
  const run = await upgradeUntilReload('1.3.0');
  // Kill once PM2's daemon is stopping the old gateway: the reload is under way without the CLI.
  const deadline = Date.now() + 10_000;
  while ((await app()).status !== 'stopping') {
    if (Date.now() > deadline) throw new Error('pm2 never showed the app stopping');
  }
  const events = await finishAfterCrash(run, before, '1.3.0');
  expect(events).toContainEqual(reloadSkipped);
  expect(reloadStarts(events)).toBe(1);
}, 150_000);

test('killed the moment the reload step starts: skipped when PM2 got it, else run again — never asked, one restart', async () => {
  const before = await app();
  // What a `pm2 reload` killed after it took PM2's reload lock leaves (once the host wrapper has
  // killed it, within a second): the lock, fresh, which made the re-run fail before --force.
  const staleLock = async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await f.shell.writeFile(hostA().target, `${PM2_HOME}/reload.lock`, String(Date.now()));
  };
  const events = await finishAfterCrash(await upgradeUntilReload('1.4.0'), before, '1.4.0', staleLock);
  const skipped = events.some((event) => event.type === 'step-skipped' && event.stepId === 'host-a:reload');
  expect(reloadStarts(events)).toBe(skipped ? 1 : 2);
  console.log(`killed at the start of the reload: ${skipped ? 'PM2 had it, skipped' : 'not yet reloaded, run again'}`);
}, 150_000);
