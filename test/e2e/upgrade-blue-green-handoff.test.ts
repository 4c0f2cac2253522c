/**
 * The blue-green handoff measured at the provider: blue (1.2.0) long-polls a protocol-level fake
 * of the Telegram Bot API (test/fakes/telegram) that feeds a message every 100 ms, and the fake
 * names each poller by its OPENCLAW_STATE_DIR. One fleet for the file, in this order:
 * 1. a release whose start-up migration fails (1.3.1-migrationfail): green never serves, the
 *    plan's onFailure removes it and resumes blue (writes and channels), traffic never left blue;
 * 2. the upgrade to 1.3.0: blue's channels stop before green's start, green carries blue's queue,
 *    nothing is lost, doubled or polled by two gateways at once;
 * 3. the rollback: green's channels stop before blue starts, and the thread counts what green
 *    wrote since it took over.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import { identifyBySocket, startFakeTelegram, type FakeTelegram, type TelegramReport } from '../fakes/telegram/index.js';
import type { EventLog } from '../jobs/engine-harness.js';
import { openclawVersion, probeFromHost } from '../harness/openclaw.js';
import { pm2Jlist } from '../harness/pm2.js';
import { approver, BLUE, GREEN, PM2_HOME, RELEASES_DIR, requester, startUpgradeFleet, type UpgradeFleet } from '../harness/fleet-fixture.js';
import type { TestHost } from '../harness/hosts.js';

const TOKEN = '424242:clawops-handoff-test';
const FEED_MS = 100;
const BROKEN = '1.3.1-migrationfail';

let f: UpgradeFleet;
let telegram: FakeTelegram | undefined;

beforeAll(async () => {
  f = await startUpgradeFleet({
    strategy: 'blue-green', hosts: 1, versions: ['1.2.0', '1.3.0', BROKEN], initialVersion: '1.2.0', redisPrefix: 'e2e-bg-handoff',
    // The broken release is given up at its readiness wait; 10 s keeps that test short.
    readySeconds: 10,
    gatewayConfig: async (host) => {
      telegram = await startFakeTelegram({ host: host.gatewayAddress, token: TOKEN, identify: identifyBySocket(host.netns) });
      return { gateway: { mode: 'local' }, channels: { telegram: { enabled: true, botToken: TOKEN, apiRoot: telegram.apiRoot } } };
    },
  });
});
afterAll(async () => {
  await f?.stop();
  await telegram?.stop();
});

function fake(): FakeTelegram {
  if (!telegram) throw new Error('the fake Telegram was not started');
  return telegram;
}

function theHost(): TestHost {
  const host = f.hosts[0];
  if (!host) throw new Error('fixture has no host');
  return host;
}

/** The names the fake gives blue's and green's pollers (identifyBySocket: the gateway's OPENCLAW_STATE_DIR). */
const isBlue = (poller: string) => /^OPENCLAW_STATE_DIR=\/root\/\.openclaw$/.test(poller);
const isGreen = (poller: string) => /^OPENCLAW_STATE_DIR=\/root\/\.openclaw-green$/.test(poller);

/** What the fake saw between a mark and now (its report is cumulative over the file). */
interface Phase {
  report: TelegramReport;
  fed: number;
  twoPollerMs: number;
  noPollerMs: number;
  conflicts: TelegramReport['conflictEvents'];
  doubledIds: number[];
  deliveries: TelegramReport['deliveries'];
}

function mark(): () => Phase {
  const before = fake().report();
  return () => {
    const report = fake().report();
    return {
      report,
      fed: report.fed - before.fed,
      twoPollerMs: report.twoPollerMs - before.twoPollerMs,
      noPollerMs: report.noPollerMs - before.noPollerMs,
      conflicts: report.conflictEvents.slice(before.conflictEvents.length),
      doubledIds: report.doubledIds.filter((id) => !before.doubledIds.includes(id)),
      deliveries: report.deliveries.slice(before.deliveries.length),
    };
  };
}

/** Stops the feed and waits until every update fed so far was delivered to some poller. */
async function settle(): Promise<void> {
  fake().stopFeed();
  await expect.poll(() => fake().report().lostIds, { timeout: 15_000, interval: 100, message: 'updates fed but never delivered to a poller' }).toEqual([]);
}

/** The pollers of consecutive deliveries, runs collapsed: e.g. [blue, green]. */
function deliveryRuns(deliveries: TelegramReport['deliveries']): string[] {
  return deliveries.map((delivery) => delivery.poller).filter((poller, index, all) => index === 0 || all[index - 1] !== poller);
}

async function ingressIds(host: TestHost, stateDir: string): Promise<number[]> {
  const text = await readFile(join(host.homeDir, stateDir, 'state', 'ingress.json'), 'utf8').catch(() => '[]');
  return (JSON.parse(text) as Array<{ updateId: number }>).map((entry) => entry.updateId);
}

function said(log: EventLog, id: string): string {
  return log.events.flatMap((event) => event.type === 'step-finished' && event.stepId === id ? [event.excerpt ?? ''] : []).join('');
}

function problems(log: EventLog): string {
  return JSON.stringify(log.events.filter((event) => event.type === 'step-failed' || event.type === 'log'), null, 1);
}

function index(log: EventLog, predicate: (event: UpgradeEvent) => boolean): number {
  return log.events.findIndex(predicate);
}

async function blueChannels(host: TestHost): Promise<Array<{ accountId: string; running: boolean; connected: boolean }>> {
  const result = await f.shell.run(host.target, ['env', `OPENCLAW_STATE_DIR=/root/.openclaw`, `OPENCLAW_GATEWAY_PORT=${BLUE.port}`,
    `${RELEASES_DIR}/current/bin/openclaw`, 'channels', 'status', '--json'], { timeoutMs: 15_000 });
  if (result.exitCode !== 0) throw new Error(`channels status on blue exited ${result.exitCode}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { channelAccounts: { telegram?: Array<{ accountId: string; running: boolean; connected: boolean }> } }).channelAccounts.telegram ?? [];
}

/** Submits, approves the one gate, waits for the end. */
async function runApproved(command: Parameters<UpgradeFleet['engine']['submit']>[0]): Promise<{ log: EventLog; finished: UpgradeEvent; plan: Extract<Awaited<ReturnType<UpgradeFleet['engine']['submit']>>, { ok: true }>['plan'] }> {
  const submitted = await f.engine.submit(command, requester);
  if (!submitted.ok) throw new Error(submitted.message);
  const log = f.record(submitted.upgradeId);
  await log.waitFor((event) => event.type === 'gate-waiting', 30_000);
  expect(await f.engine.decide(submitted.upgradeId, { ...approver, decision: 'approve' })).toMatchObject({ counted: true });
  const finished = await log.waitFor((event) => event.type === 'finished', 50_000);
  return { log, finished, plan: submitted.plan };
}

test('a release that fails to start before traffic moves: green is removed, blue resumes its writes and is the only poller', async () => {
  const host = theHost();
  const nginx = f.nginx[0];
  if (!nginx) throw new Error('fixture has no nginx');
  // Blue polls from its boot.
  await expect.poll(() => fake().report().pollers, { timeout: 10_000 }).toHaveLength(1);
  const phase = mark();
  fake().startFeed(FEED_MS);

  const { log, finished } = await runApproved(f.upgrade(BROKEN));
  const finishedAt = Date.now();
  expect(finished, problems(log)).toMatchObject({ outcome: 'failed' });
  expect(log.events.find((event) => event.type === 'step-failed')).toMatchObject({ stepId: 'host-a:idle-ready' });
  // Traffic never moved: no switch step ran.
  expect(log.events.some((event) => event.type === 'step-started' && /:(traffic|nginx-reload|handoff-switched|old-stop)$/.test(event.stepId))).toBe(false);

  const undone = log.events.find((event) => event.type === 'log' && event.message.includes('failed before its traffic moved'));
  expect(undone, `no "failed before its traffic moved" log event: ${problems(log)}`).toBeDefined();
  const message = undone?.type === 'log' ? undone.message : '';
  expect(undone).toMatchObject({ level: 'warn' });
  expect(message).toMatch(/^host-a failed before its traffic moved \(.*\); undone:\n/);
  const lines = message.split('\n').slice(1);
  expect(lines, message).toHaveLength(2);
  expect(lines[0], message).toMatch(/^✅ Remove any stale green app \(openclaw-green\) from PM2/);
  expect(lines[1], message).toMatch(/^✅ Traffic stayed on blue: resume its writes and channel accounts: writes resumed; telegram\/default started$/);

  // Afterwards: no green app, nginx on blue, blue ready (writes resumed) with its channel running.
  const apps = await pm2Jlist(f.shell, host.target, { pm2Home: PM2_HOME });
  expect(apps.map((app) => app.name)).not.toContain(GREEN.app);
  expect(apps).toMatchObject([{ name: BLUE.app, status: 'online' }]);
  expect(await nginx.readUpstream()).toEqual([`127.0.0.1:${BLUE.port}`]);
  expect(await probeFromHost(f.shell, host.target, BLUE.port)).toMatchObject({ status: 200, body: { ready: true } });
  expect(await blueChannels(host)).toMatchObject([{ accountId: 'default', running: true, connected: true }]);

  // Blue picks the waiting messages up and keeps polling: updates fed after the undo reach blue.
  await expect.poll(() => fake().report().deliveries.filter((delivery) => delivery.at > finishedAt && isBlue(delivery.poller)).length,
    { timeout: 10_000, message: 'blue polls again after the undo' }).toBeGreaterThan(3);
  await settle();
  const seen = phase();
  expect(seen.report.pollers, 'only blue ever polled').toHaveLength(1);
  expect(seen.report.pollers.every(isBlue), seen.report.pollers.join(', ')).toBe(true);
  expect(new Set(seen.deliveries.map((delivery) => delivery.poller))).toEqual(new Set(seen.report.pollers));
  expect(seen.doubledIds).toEqual([]);
  expect(seen.conflicts).toEqual([]);
  expect(seen.twoPollerMs).toBe(0);
  log.stop();
  process.stdout.write(`[bench] blue-green handoff undone (${BROKEN} never ready): ${seen.fed} updates fed, 0 lost, channels dark ${Math.round(seen.noPollerMs)} ms beyond 1 s gaps (until the undo resumed blue)\n`);
}, 60_000);

test('the upgrade hands blue\'s channel and queue to green: none lost, none doubled, never two pollers', async () => {
  const host = theHost();
  const nginx = f.nginx[0];
  if (!nginx) throw new Error('fixture has no nginx');
  const phase = mark();
  fake().startFeed(FEED_MS);
  const started = performance.now();
  const { log, finished } = await runApproved(f.upgrade('1.3.0'));
  const wallMs = performance.now() - started;
  expect(finished, problems(log)).toMatchObject({ outcome: 'succeeded' });
  expect(await nginx.readUpstream()).toEqual([`127.0.0.1:${GREEN.port}`]);
  expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/current/bin/openclaw`)).version).toBe('1.3.0');

  // The thread reports the measured freeze and that blue wrote nothing after the handoff began.
  const switched = said(log, 'host-a:handoff-switched');
  const freeze = /write freeze (\d+\.\d) s \(freeze to traffic switch\)/.exec(switched);
  expect(freeze, `handoff-switched said: ${switched}`).not.toBeNull();
  const left = said(log, 'host-a:handoff-left');
  expect(left).toMatch(/not in the new one\): .*\b0 file\(s\)/);
  expect(left, 'blue took inbound messages after its channels stopped').not.toMatch(/\b[1-9]\d* inbound/);

  await settle();
  const seen = phase();
  expect(seen.report.pollers, 'pollers in order of their first getUpdates').toHaveLength(2);
  expect(isBlue(seen.report.pollers[0] ?? ''), seen.report.pollers.join(', ')).toBe(true);
  expect(isGreen(seen.report.pollers[1] ?? ''), seen.report.pollers.join(', ')).toBe(true);
  // Blue took updates until the handoff, then green only.
  expect(deliveryRuns(seen.deliveries).map((poller) => (isBlue(poller) ? 'blue' : isGreen(poller) ? 'green' : poller))).toEqual(['blue', 'green']);
  expect(seen.report.lost).toBe(0);
  expect(seen.doubledIds).toEqual([]);
  expect(seen.conflicts).toEqual([]);
  expect(seen.twoPollerMs).toBe(0);

  // Green carries blue's queue: every update blue persisted or confirmed is in green's copy, and so
  // is every update ever delivered (to blue, then to green), each once.
  const blueIds = await ingressIds(host, '.openclaw');
  const blueConfirmed = seen.report.confirmations.filter((confirmation) => isBlue(confirmation.poller)).map((confirmation) => confirmation.updateId);
  const delivered = [...new Set(seen.report.deliveries.map((delivery) => delivery.updateId))].sort((a, b) => a - b);
  let greenIds: number[] = [];
  await expect.poll(async () => {
    greenIds = await ingressIds(host, '.openclaw-green');
    return delivered.filter((id) => !greenIds.includes(id));
  }, { timeout: 5_000, message: 'delivered updates missing from green\'s state/ingress.json' }).toEqual([]);
  expect(blueIds.length).toBeGreaterThan(0);
  expect(blueIds.filter((id) => !greenIds.includes(id)), 'blue\'s ingress missing from green\'s').toEqual([]);
  expect(blueConfirmed.filter((id) => !greenIds.includes(id)), 'updates blue confirmed missing from green\'s ingress').toEqual([]);
  expect(greenIds.length, 'an update stored twice in green\'s ingress').toBe(new Set(greenIds).size);

  const handedOver = /channels handed over in (\d+\.\d) s/.exec(switched)?.[1] ?? '?';
  log.stop();
  process.stdout.write(`[bench] blue-green handoff of 1 host with Telegram fed every ${FEED_MS} ms: write freeze ${freeze?.[1] ?? '?'} s, channels handed over in ${handedOver} s, `
    + `provider saw no poller for ${Math.round(seen.noPollerMs)} ms (beyond 1 s gaps), two pollers ${Math.round(seen.twoPollerMs)} ms; ${seen.fed} fed, ${seen.report.lost} lost, ${seen.doubledIds.length} doubled; `
    + `${Math.round(wallMs)} ms wall incl. approval; pollers ${seen.report.pollers.join(' then ')}\n`);
}, 60_000);

test('the rollback stops green\'s channels before blue starts and counts what green wrote since it took over', async () => {
  const host = theHost();
  const nginx = f.nginx[0];
  if (!nginx) throw new Error('fixture has no nginx');
  const phase = mark();
  fake().startFeed(FEED_MS);
  // Green takes a few updates as the live color before the rollback.
  const greenBefore = fake().report().deliveries.filter((delivery) => isGreen(delivery.poller)).length;
  await expect.poll(() => fake().report().deliveries.filter((delivery) => isGreen(delivery.poller)).length, { timeout: 10_000 }).toBeGreaterThan(greenBefore + 3);

  const { log, finished, plan } = await runApproved(f.rollback());
  expect(plan).toMatchObject({ kind: 'rollback', toVersion: '1.2.0' });
  expect(finished, problems(log)).toMatchObject({ outcome: 'succeeded' });
  expect(await nginx.readUpstream()).toEqual([`127.0.0.1:${BLUE.port}`]);
  expect(await probeFromHost(f.shell, host.target, BLUE.port)).toMatchObject({ status: 200, body: { ready: true } });
  expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/current/bin/openclaw`)).version).toBe('1.2.0');

  // Green's channels stopped before blue started.
  const greenStopped = index(log, (event) => event.type === 'step-finished' && event.stepId === 'host-a:handoff-channels');
  const blueStarts = index(log, (event) => event.type === 'step-started' && /^host-a:back-(start|ready)$/.test(event.stepId));
  expect(greenStopped, problems(log)).toBeGreaterThanOrEqual(0);
  expect(blueStarts).toBeGreaterThan(greenStopped);
  expect(said(log, 'host-a:handoff-channels')).toMatch(/stopped 1 channel account\(s\): telegram\/default/);

  // What green wrote since it took over is reported as a count, not just ✅.
  const left = said(log, 'host-a:handoff-left');
  const counted = /written since it took over: (?:(\d+) inbound message\(s\)|inbound messages not counted \([^)]*\)), (\d+) file\(s\)/.exec(left);
  expect(counted, `handoff-left said: ${left}`).not.toBeNull();
  const inbound = counted?.[1] === undefined ? 0 : Number(counted[1]);
  const files = Number(counted?.[2] ?? 0);
  expect(inbound + files, `handoff-left said: ${left}`).toBeGreaterThan(0);

  await settle();
  const seen = phase();
  expect(deliveryRuns(seen.deliveries).map((poller) => (isBlue(poller) ? 'blue' : isGreen(poller) ? 'green' : poller))).toEqual(['green', 'blue']);
  expect(seen.report.lost).toBe(0);
  // Processed twice = in both colors' inbound records since blue's state was set aside at the
  // handoff. (The fake's own "delivered twice" also counts a response green's poll had been sent
  // when channels.stop aborted it unread: seen under load, it is reported in the line below.)
  const greenTook = new Set(await ingressIds(host, '.openclaw-green'));
  const blueSince = (await ingressIds(host, '.openclaw')).filter((id) => seen.deliveries.some((delivery) => delivery.updateId === id));
  expect(blueSince.filter((id) => greenTook.has(id)), 'updates both colors processed').toEqual([]);
  expect(seen.doubledIds.length).toBeLessThanOrEqual(1);
  expect(seen.conflicts).toEqual([]);
  expect(seen.twoPollerMs).toBe(0);
  log.stop();
  process.stdout.write(`[bench] blue-green rollback with Telegram fed every ${FEED_MS} ms: provider saw no poller for ${Math.round(seen.noPollerMs)} ms (beyond 1 s gaps), `
    + `two pollers ${Math.round(seen.twoPollerMs)} ms, ${seen.fed} fed, 0 lost, 0 processed twice (${seen.doubledIds.length} delivered twice); green left ${inbound} inbound, ${files} file(s)\n`);
}, 60_000);
