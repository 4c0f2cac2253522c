/**
 * Adopting an install made the usual way, end to end: the double 1.2.0 is installed with `npm i -g`
 * into the host's global prefix (/opt/npm) and PM2 runs `openclaw gateway run …` from PATH with
 * interpreter none. `upgrade 1.3.0` through the real planner and engine moves the app onto
 * `<releasesDir>/current/bin/openclaw` in the upgrade's one restart, keeping its args and env.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openclawVersion } from '../harness/openclaw.js';
import { pm2 } from '../harness/pm2.js';
import { approver, npmInstallRuns, PM2_HOME, RELEASES_DIR, requester, startUpgradeFleet, type UpgradeFleet } from '../harness/fleet-fixture.js';
import type { TestHost } from '../harness/hosts.js';

const SECRET = 'kept-secret-4242';
const ARGS = ['gateway', 'run', '--port', '18789', '--bind', 'loopback'];
let f: UpgradeFleet;

beforeAll(async () => {
  f = await startUpgradeFleet({
    strategy: 'pm2', hosts: 1, versions: ['1.2.0', '1.3.0'], initialVersion: '1.2.0', redisPrefix: 'e2e-adopt',
    install: 'global', gatewayEnv: { OPENCLAW_E2E_TOKEN: SECRET },
  });
});
afterAll(async () => {
  await f?.stop();
});

interface RawApp { name: string; pid: number; pm2_env: { pm_exec_path: string; args: string[]; exec_interpreter: string; exec_mode: string; status: string; env: Record<string, string> } }

async function app(host: TestHost): Promise<RawApp | undefined> {
  const result = await pm2(f.shell, host.target, ['jlist'], { pm2Home: PM2_HOME });
  const list = JSON.parse(result.stdout.slice(result.stdout.indexOf('['))) as RawApp[];
  return list.find((entry) => entry.name === 'openclaw');
}

/** Gateway start-ups PM2 logged for the app (the double prints one `listening on` line per start). */
async function startups(host: TestHost): Promise<number> {
  const log = await f.shell.run(host.target, ['cat', `${PM2_HOME}/logs/openclaw-out.log`]);
  return log.stdout.split('\n').filter((line) => line.includes('[gateway] listening on')).length;
}

test('the first upgrade of an npm -g install under PM2 adopts it: current/bin/openclaw with the same args and env, saved, both releases side by side, one restart', async () => {
  const host = f.hosts[0] as TestHost;
  const before = await app(host);
  expect(before?.pm2_env).toMatchObject({ pm_exec_path: '/opt/npm/bin/openclaw', args: ARGS, exec_interpreter: 'none' });
  expect(await startups(host)).toBe(1);

  const submitted = await f.engine.submit(f.upgrade('1.3.0'), requester);
  if (!submitted.ok) throw new Error(submitted.message);
  const log = f.record(submitted.upgradeId);
  // Before anything runs, the plan says what changes in PM2 — with env names, never their values.
  expect(submitted.plan.fromVersions).toEqual({ [host.name]: '1.2.0' });
  expect(submitted.plan.warnings[0]).toContain(`${host.name}: adopts PM2 app openclaw: runs /opt/npm/bin/openclaw today; after this upgrade it runs ~/.clawops/releases/current/bin/openclaw (args kept: ${ARGS.join(' ')}; env kept:`);
  expect(submitted.plan.warnings[0]).toContain('OPENCLAW_E2E_TOKEN');
  expect(JSON.stringify(submitted.plan)).not.toContain(SECRET);

  const finished = await log.waitFor((event) => event.type === 'finished', 90_000);
  expect(log.events.filter((event) => event.type === 'step-failed')).toEqual([]);
  expect(finished).toMatchObject({ outcome: 'succeeded' });
  expect(JSON.stringify(log.events)).not.toContain(SECRET);
  log.stop();

  const after = await app(host);
  expect(after?.pm2_env).toMatchObject({
    pm_exec_path: `${RELEASES_DIR}/current/bin/openclaw`, args: ARGS, exec_interpreter: 'none', exec_mode: 'fork_mode', status: 'online',
  });
  expect(after?.pm2_env.env).toMatchObject({ OPENCLAW_E2E_TOKEN: SECRET, OPENCLAW_STATE_DIR: '/root/.openclaw' });
  expect(after?.pid).not.toBe(before?.pid);
  // pm2 save: a reboot (pm2 resurrect) brings back the adopted app, not the old one.
  const dump = await f.shell.run(host.target, ['cat', `${PM2_HOME}/dump.pm2`]);
  expect(dump.exitCode).toBe(0);
  const saved = (JSON.parse(dump.stdout) as Array<{ name: string; pm_exec_path: string; args: string[] }>).find((entry) => entry.name === 'openclaw');
  expect(saved).toMatchObject({ pm_exec_path: `${RELEASES_DIR}/current/bin/openclaw`, args: ARGS });
  // The generated definition holds env values, so only its owner may read it.
  expect((await f.shell.run(host.target, ['stat', '-c', '%a', `${RELEASES_DIR}/pm2-openclaw.config.cjs`])).stdout.trim()).toBe('600');

  expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/current/bin/openclaw`)).version).toBe('1.3.0');
  expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/1.3.0/bin/openclaw`)).version).toBe('1.3.0');
  expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/1.2.0/bin/openclaw`)).version).toBe('1.2.0');
  expect(await startups(host)).toBe(2);
}, 120_000);

test('after adoption a rollback needs no reinstall: the running version was installed side by side, and PM2 keeps running the link', async () => {
  const host = f.hosts[0] as TestHost;
  const rollback = await f.engine.submit(f.rollback(), requester);
  if (!rollback.ok) throw new Error(rollback.message);
  expect(rollback.plan).toMatchObject({ kind: 'rollback', toVersion: '1.2.0', fromVersions: { [host.name]: '1.3.0' } });
  expect(rollback.plan.steps.map((step) => step.id)).not.toContain(`${host.name}:install`);
  const rlog = f.record(rollback.upgradeId);
  await rlog.waitFor((event) => event.type === 'gate-waiting', 30_000);
  expect(await f.engine.decide(rollback.upgradeId, { ...approver, decision: 'approve' })).toMatchObject({ counted: true });
  const finished = await rlog.waitFor((event) => event.type === 'finished', 60_000);
  expect(rlog.events.filter((event) => event.type === 'step-failed')).toEqual([]);
  expect(finished).toMatchObject({ outcome: 'succeeded' });
  rlog.stop();

  expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/current/bin/openclaw`)).version).toBe('1.2.0');
  expect(await npmInstallRuns(host, '1.2.0')).toBe(1);
  const after = await app(host);
  expect(after?.pm2_env).toMatchObject({ pm_exec_path: `${RELEASES_DIR}/current/bin/openclaw`, status: 'online' });
  expect(after?.pm2_env.env).toMatchObject({ OPENCLAW_E2E_TOKEN: SECRET });
}, 120_000);
