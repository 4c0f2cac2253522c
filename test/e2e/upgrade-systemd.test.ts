/**
 * systemd upgrade end to end against a booted systemd 252 (test/harness/systemd-host.ts): three
 * hosts run the double 1.2.0 from an `openclaw.service` unit — host-a's unit has an ExecReload
 * (reloaded), host-b's has none and is driven through `sudo -n systemctl` (restarted), host-c's
 * ExecStart runs an `npm i -g` install (adopted: drop-in, then restarted). The upgrade to 1.3.0,
 * the rollback (1.3.0 migrated the state, so it restores the backup: stop, restore, start) and a
 * release that keeps exiting on start (its failure shows the `journalctl -u` tail) go through the
 * real planner and engine.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { approver, RELEASES_DIR, requester } from '../harness/fleet-fixture.js';
import { RESTART_MARK_JS } from '../../src/runbook/restart-mark.js';
import { openclawVersion, probeFromHost, waitReady } from '../harness/openclaw.js';
import { startReadyProbe } from '../real/ready-probe.js';
import { PORT, startSystemdUpgradeFleet, UNIT, type SystemdUpgradeFleet } from '../harness/systemd-fleet.js';

let f: SystemdUpgradeFleet;

beforeAll(async () => {
  f = await startSystemdUpgradeFleet({
    hosts: [{ name: 'host-a', execReload: true }, { name: 'host-b', sudo: true }, { name: 'host-c', global: true }],
    versions: ['1.2.0', '1.3.0', '1.3.1-migrationfail'], initialVersion: '1.2.0', redisPrefix: 'e2e-systemd', readySeconds: 30,
  });
}, 120_000);
afterAll(async () => {
  await f?.stop();
});

const argvOf = (steps: readonly { id: string; action: unknown }[], id: string): string[] => {
  const action = steps.find((step) => step.id === id)?.action as { argv?: string[] } | undefined;
  return action?.argv ?? [];
};

test('upgrade 1.2.0 -> 1.3.0: daemon-reload, reload where the unit has ExecReload, restart (via sudo) where not, adoption of a unit running openclaw from elsewhere', async () => {
  const [a, b, c] = f.hosts;
  if (!a || !b || !c) throw new Error('fixture has no hosts');
  const before = await Promise.all(f.hosts.map((host) => f.show(host)));
  const started = performance.now();
  const submitted = await f.engine.submit(f.upgrade('1.3.0'), requester);
  if (!submitted.ok) throw new Error(submitted.message);
  const { plan } = submitted;
  expect(plan).toMatchObject({ strategy: 'systemd', fromVersions: { 'host-a': '1.2.0', 'host-b': '1.2.0', 'host-c': '1.2.0' }, toVersion: '1.3.0' });
  const ids = plan.steps.map((step) => step.id);
  // Reload vs restart is read from the unit (`systemctl cat` in preflight).
  expect(ids).toEqual(expect.arrayContaining(['host-a:daemon-reload', 'host-a:reload-mark', 'host-a:reload', 'host-b:restart-mark', 'host-b:restart', 'host-c:adopt-dropin', 'host-c:restart']));
  expect(ids).not.toContain('host-a:restart');
  expect(argvOf(plan.steps, 'host-a:reload')).toEqual(['systemctl', 'reload', UNIT]);
  expect(argvOf(plan.steps, 'host-b:restart')).toEqual(['sudo', '-n', 'systemctl', 'restart', UNIT]);
  expect(argvOf(plan.steps, 'host-b:daemon-reload')).toEqual(['sudo', '-n', 'systemctl', 'daemon-reload']);
  expect(plan.warnings.join('\n')).toContain(`host-b: ${UNIT} has no ExecReload`);
  expect(plan.warnings.join('\n')).toContain('host-c: adopts systemd unit');

  const log = f.record(submitted.upgradeId);
  // /readyz every 100 ms from inside each host, for the not-ready time of reload and restart.
  const probes = f.hosts.map((host) => startReadyProbe(host.netns, PORT));
  const finished = await log.waitFor((event) => event.type === 'finished', 100_000);
  const wallMs = Math.round(performance.now() - started);
  const notReady = await Promise.all(probes.map((probe) => probe.stop()));
  expect(log.events.filter((event) => event.type === 'step-failed')).toEqual([]);
  expect(finished).toMatchObject({ outcome: 'succeeded' });

  const after = await Promise.all(f.hosts.map((host) => f.show(host)));
  for (const [index, host] of f.hosts.entries()) {
    // Another process runs the unit, started since: what the mark step's verify compares.
    expect(after[index]).toMatchObject({ ActiveState: 'active', SubState: 'running' });
    expect(after[index]?.MainPID).not.toBe(before[index]?.MainPID);
    expect(after[index]?.InvocationID).not.toBe(before[index]?.InvocationID);
    expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/current/bin/openclaw`)).version).toBe('1.3.0');
    expect(log.events.some((event) => event.type === 'step-finished' && event.stepId === `${host.name}:health-version`)).toBe(true);
    // The unit's process runs the link (host-c's too, through the drop-in), resolved to an absolute path.
    expect((await host.nsExec(['cat', `/proc/${after[index]?.MainPID}/cmdline`])).stdout.split('\0')).toContain(`${RELEASES_DIR}/current/bin/openclaw`);
    const marks = await f.shell.run(host.target, ['sh', '-c', `cat ${RELEASES_DIR}/.clawops/restart-*.json`]);
    expect(marks.stdout).toContain(`"pid":${before[index]?.MainPID}`);
  }
  // ExecReload=kill -HUP ends the process; Restart=always starts the new release (one automatic restart).
  expect(Number(after[0]?.NRestarts)).toBe(Number(before[0]?.NRestarts) + 1);
  expect(Number(after[1]?.NRestarts)).toBe(0);
  // host-c: the drop-in points ExecStart at the link; the unit file itself is unchanged.
  const cat = await c.systemctl(['cat', UNIT]);
  expect(cat).toContain(`ExecStart=/opt/npm/bin/openclaw gateway run`);
  expect(cat).toContain(`ExecStart=${RELEASES_DIR}/current/bin/openclaw gateway run --port ${PORT} --bind loopback`);
  expect((await c.systemctl(['show', UNIT, '-p', 'DropInPaths'])).trim()).toBe(`DropInPaths=/etc/systemd/system/${UNIT}.d/clawops-release.conf`);

  // OpenClaw has no in-place reload: the ExecReload ends the process too, and every host was briefly not ready.
  for (const summary of notReady) expect(summary.notReadyMs).toBeGreaterThan(0);
  log.stop();
  const [reload, restart, adopted] = notReady.map((summary) => `${summary.notReadyMs} ms (${summary.samples} samples)`);
  process.stdout.write(`[bench] systemd 252 upgrade of 3 hosts: ${wallMs} ms wall, ${plan.steps.length} steps; double start-up 150 ms, not ready: reload ${reload}, restart ${restart}, adopted restart ${adopted}\n`);
}, 120_000);

test('rollback after 1.3.0 migrated the state: stop, restore the backup, daemon-reload, start — every host back on 1.2.0 and schema 1', async () => {
  const rollback = await f.engine.submit(f.rollback(), requester);
  if (!rollback.ok) throw new Error(rollback.message);
  expect(rollback.plan).toMatchObject({ kind: 'rollback', toVersion: '1.2.0' });
  const ids = rollback.plan.steps.map((step) => step.id);
  expect(ids).toEqual(expect.arrayContaining(['host-a:stop', 'host-a:restore-extract', 'host-a:start', 'host-b:stop', 'host-c:start']));
  expect(argvOf(rollback.plan.steps, 'host-b:start')).toEqual(['sudo', '-n', 'systemctl', 'start', UNIT]);
  const log = f.record(rollback.upgradeId);
  await log.waitFor((event) => event.type === 'gate-waiting', 30_000);
  await f.engine.decide(rollback.upgradeId, { ...approver, decision: 'approve' });
  const finished = await log.waitFor((event) => event.type === 'finished', 100_000);
  expect(log.events.filter((event) => event.type === 'step-failed')).toEqual([]);
  expect(finished).toMatchObject({ outcome: 'succeeded' });
  for (const host of f.hosts) {
    expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/current/bin/openclaw`)).version).toBe('1.2.0');
    expect(await f.schemaOf(host)).toBe(1);
    expect(await probeFromHost(f.shell, host.target, PORT)).toMatchObject({ status: 200, body: { ready: true } });
    expect(await f.show(host)).toMatchObject({ ActiveState: 'active' });
  }
  log.stop();
}, 120_000);

test('a release that keeps exiting on start fails its ready step within seconds, showing the unit state and the journalctl -u tail', async () => {
  const submitted = await f.engine.submit(f.upgrade('1.3.1-migrationfail'), requester);
  if (!submitted.ok) throw new Error(submitted.message);
  const log = f.record(submitted.upgradeId);
  expect(await log.waitFor((event) => event.type === 'finished', 100_000)).toMatchObject({ outcome: 'failed' });
  const failed = log.events.find((event) => event.type === 'step-failed');
  if (failed?.type !== 'step-failed') throw new Error('no failed step');
  expect(failed.stepId).toBe('host-a:ready');
  expect(failed.durationMs).toBeLessThan(20_000);
  expect(failed.excerpt).toMatch(new RegExp(`systemd unit ${UNIT}: (failed|activating)`));
  expect(failed.excerpt).toContain(`last lines of journalctl -u ${UNIT}`);
  expect(failed.excerpt).toContain('schema migration failed');
  log.stop();
  process.stdout.write(`[bench] systemd crash loop reported after ${failed.durationMs} ms\n`);
}, 120_000);

test('the restart mark read from real systemd: the noted process is "not done", a restart or a crash restart by Restart=always is "done", a reload that kept it "unsure"', async () => {
  const host = f.hosts[1];
  if (!host) throw new Error('fixture has no hosts');
  const file = `${RELEASES_DIR}/.clawops/restart-e2e-mark.json`;
  const mark = async (mode: 'mark' | 'check', verb = 'restart') => (await f.shell.run(host.target, ['node', '-e', RESTART_MARK_JS, mode, file, 'systemd', UNIT, 'system', verb])).exitCode;
  expect(await mark('mark')).toBe(0);
  expect(await mark('check')).toBe(1);
  expect(await mark('check', 'reload')).toBe(2);
  await host.systemctl(['restart', UNIT]);
  expect(await mark('check')).toBe(0);
  expect(await mark('mark')).toBe(0);
  // SIGKILL: systemd restarts the unit itself (NRestarts + 1, new MainPID and InvocationID).
  await host.systemctl(['kill', '-s', 'KILL', UNIT]);
  await waitReady(f.shell, host, { port: PORT, intervalMs: 50 });
  expect(await mark('check')).toBe(0);
  expect(Number((await f.show(host)).NRestarts)).toBeGreaterThanOrEqual(1);
});
