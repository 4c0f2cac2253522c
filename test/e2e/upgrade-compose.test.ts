/**
 * The docker-compose strategy against a real engine (podman 4 + Compose v1 on the test host, see
 * test/harness/compose.ts): upgrade 1.2.0 -> 1.3.0 through the engine recreates the container on
 * the new image, stop-first, with the state in a named volume that survives it; then the
 * rollback. 1.3.0 moves the state schema 1 -> 2 and 1.2.0 refuses schema 2, so the rollback
 * waits at its schema-change gate until a person restored the pre-upgrade backup into the
 * volume (clawops does not manage the volume): the test is that person, with the command the
 * README gives. Nothing is skipped: without podman the fixture fails.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { COMPOSE_SERVICE, composeArgv } from '../harness/compose.js';
import { startComposeFleet, watchReady, type ComposeFleet } from '../harness/compose-fleet.js';
import { approver, ENVIRONMENT, requester } from '../harness/fleet-fixture.js';

let f: ComposeFleet;

beforeAll(async () => {
  f = await startComposeFleet({ versions: ['1.2.0', '1.3.0'], initialVersion: '1.2.0', redisPrefix: 'e2e-compose' });
}, 90_000);
afterAll(async () => {
  await f?.stop();
});

/** Runs `docker compose …` on the host over SSH, as an operator would. */
async function compose(version: string, ...args: string[]): Promise<string> {
  const result = await f.shell.run(f.host.target, composeArgv(version, ...args), { timeoutMs: 60_000 });
  if (result.exitCode !== 0) throw new Error(`compose ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

/** What the gateway in the container sees: its version, the schema of its state, the marker. */
async function inContainer(version: string): Promise<{ version: string; schema: number; marker: string; container: string }> {
  const out = await compose(version, 'exec', '-T', COMPOSE_SERVICE, 'sh', '-c',
    'openclaw --version; echo @@; cat /root/.openclaw/state/openclaw.sqlite; echo @@; cat /root/.openclaw/marker; echo @@; cat /etc/hostname');
  const [line = '', db = '{}', marker = '', container = ''] = out.split('@@\n').map((part) => part.trim());
  return { version: line.split(' ')[1] ?? '', schema: (JSON.parse(db) as { userVersion: number }).userVersion, marker, container };
}

const readyUrl = () => `http://${f.host.address}:18789/readyz`;

test('upgrade recreates the container on the new image stop-first; the state volume survives', async () => {
  await compose('1.2.0', 'exec', '-T', COMPOSE_SERVICE, 'sh', '-c', 'echo written-by-1.2.0 > /root/.openclaw/marker');
  const before = await inContainer('1.2.0');
  expect(before).toMatchObject({ version: '1.2.0', schema: 1, marker: 'written-by-1.2.0' });

  const watch = watchReady(readyUrl());
  const submitted = await f.engine.submit({ kind: 'upgrade', version: '1.3.0', environment: ENVIRONMENT, dryRun: false, skipStaging: false }, requester);
  if (!submitted.ok) throw new Error(submitted.message);
  expect(submitted.plan.steps.map((step) => step.id)).toEqual(expect.arrayContaining(['host-a:backup', 'host-a:pull', 'host-a:up', 'host-a:ready']));
  expect(submitted.plan.expectedDowntime).toEqual(expect.stringContaining('stop-first'));
  const log = f.record(submitted.upgradeId);
  const finished = await log.waitFor((event) => event.type === 'finished', 60_000);
  const outage = await watch.stop();
  expect(log.events.filter((event) => event.type === 'step-failed')).toEqual([]);
  expect(finished).toMatchObject({ outcome: 'succeeded' });
  log.stop();

  const after = await inContainer('1.3.0');
  // A new container (recreated), the migrated state and the marker in the same volume.
  expect(after).toMatchObject({ version: '1.3.0', schema: 2, marker: 'written-by-1.2.0' });
  expect(after.container).not.toBe(before.container);
  // Stop-first: /readyz failed for a while, once.
  expect(outage.failed).toBeGreaterThan(0);
  expect(outage.longestGapMs).toBeGreaterThan(100);
  console.log(`compose upgrade outage: /readyz failed ${outage.failed}/${outage.polls} polls, longest gap ${Math.round(outage.longestGapMs)} ms`);
  // The backup was written inside the container to the bind-mounted backup dir: it is on the host.
  expect((await readdir(join(f.host.homeDir, '.clawops', 'backups'))).some((name) => name.includes(submitted.upgradeId))).toBe(true);
}, 60_000);

test('rollback: the schema-change gate waits for the volume restore, then compose recreates 1.2.0', async () => {
  // A bare rollback: the upgrade read the version running inside the container (1.2.0) and
  // recorded it, so clawops knows where to go back to.
  const rollback = await f.engine.submit({ kind: 'rollback', environment: ENVIRONMENT, dryRun: false }, requester);
  if (!rollback.ok) throw new Error(rollback.message);
  expect(rollback.plan).toMatchObject({ kind: 'rollback', toVersion: '1.2.0' });
  const log = f.record(rollback.upgradeId);
  const watch = watchReady(readyUrl());
  const gates: string[] = [];
  for (;;) {
    const event = await log.waitFor((next) => (next.type === 'gate-waiting' && !gates.includes(next.gateId)) || next.type === 'finished', 60_000);
    if (event.type !== 'gate-waiting') break;
    gates.push(event.gateId);
    if (event.gateId === 'host-a:schema-change') {
      // The gate names the pre-upgrade backup, in the backup dir the container shares with the host.
      const backupFile = /^Restore (~\/\.clawops\/backups\/openclaw-pre-upgrade-up-\S+-host-a\.tar\.gz) into/.exec(event.title)?.[1] ?? '';
      expect(backupFile).not.toBe('');
      // The operator's restore (README): stop, restore into the volume with the target's image, approve.
      await compose('1.2.0', 'stop', COMPOSE_SERVICE);
      // The CLI of 1.2.0 refuses to run on the migrated state: point it elsewhere while it extracts.
      await compose('1.2.0', 'run', '--rm', '--no-deps', '-T', '-e', 'OPENCLAW_STATE_DIR=/tmp/cli-state', '--entrypoint', 'sh', COMPOSE_SERVICE, '-c',
        `set -e; openclaw backup restore ${backupFile.replace('~', '/root')} --target /tmp/restore; rm -rf /root/.openclaw/* /root/.openclaw/.[!.]*; cp -a /tmp/restore/*/payload/posix/root/.openclaw/. /root/.openclaw/`);
    }
    expect(await f.engine.decide(rollback.upgradeId, { ...approver, decision: 'approve' })).toMatchObject({ counted: true });
  }
  const outage = await watch.stop();
  expect(gates).toContain('host-a:schema-change');
  expect(log.events.filter((event) => event.type === 'step-failed')).toEqual([]);
  expect(log.events.find((event) => event.type === 'finished')).toMatchObject({ outcome: 'succeeded' });
  log.stop();
  // The restored state: schema 1, and the marker the backup held.
  expect(await inContainer('1.2.0')).toMatchObject({ version: '1.2.0', schema: 1, marker: 'written-by-1.2.0' });
  console.log(`compose rollback outage (includes the operator's restore): /readyz failed ${outage.failed}/${outage.polls} polls, longest gap ${Math.round(outage.longestGapMs)} ms`);
}, 60_000);
