/**
 * Blue-green upgrade end to end: blue (1.2.0) serves behind nginx on a real host; the engine
 * brings green up on 1.3.0 and parks at the switch-traffic gate; nginx moves only after the
 * approval. A client polls THROUGH nginx the whole time and must see no failed request.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openclawVersion } from '../harness/openclaw.js';
import { approver, BLUE, GREEN, RELEASES_DIR, requester, startUpgradeFleet, type UpgradeFleet } from '../harness/fleet-fixture.js';

let f: UpgradeFleet;

beforeAll(async () => {
  f = await startUpgradeFleet({ strategy: 'blue-green', hosts: 1, versions: ['1.2.0', '1.3.0'], initialVersion: '1.2.0', redisPrefix: 'e2e-bg' });
});
afterAll(async () => {
  await f?.stop();
});

interface PollStats { ok: number; failed: string[]; latencies: number[]; versions: Set<string> }

/** GET / through nginx every `intervalMs` on a fresh connection (nginx reload keeps new connections whole). */
function pollThroughNginx(url: string, intervalMs: number, maxMs: number): { stop(): Promise<PollStats> } {
  const stats: PollStats = { ok: 0, failed: [], latencies: [], versions: new Set() };
  let running = true;
  const deadline = Date.now() + maxMs;
  const once = () => new Promise<void>((resolve) => {
    const started = performance.now();
    const req = request(url, { agent: false, timeout: 2_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        stats.latencies.push(performance.now() - started);
        if (res.statusCode === 200) {
          stats.ok += 1;
          stats.versions.add((JSON.parse(Buffer.concat(chunks).toString()) as { version: string }).version);
        } else stats.failed.push(`HTTP ${res.statusCode}`);
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => { stats.failed.push(error.message); resolve(); });
    req.end();
  });
  const loop = (async () => {
    while (running && Date.now() < deadline) {
      await once();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return { async stop() { running = false; await loop; return stats; } };
}

test('blue-green switches nginx only after switch-traffic is approved; a client polling through nginx sees zero failed requests', async () => {
  const host = f.hosts[0];
  const nginx = f.nginx[0];
  if (!host || !nginx) throw new Error('fixture has no host');
  const poller = pollThroughNginx(`http://${host.address}:80/`, 20, 120_000);
  const started = performance.now();
  const submitted = await f.engine.submit(f.upgrade('1.3.0'), requester);
  if (!submitted.ok) throw new Error(submitted.message);
  const log = f.record(submitted.upgradeId);
  expect(submitted.plan.gates.map((gate) => gate.reason)).toEqual(['switch-traffic']);

  const waiting = await log.waitFor((event) => event.type === 'gate-waiting', 60_000);
  expect(waiting).toMatchObject({ gateId: 'host-a:switch-traffic' });
  // Parked: no worker holds the job, green is installed but not started (the handoff, and with it
  // blue's write freeze, begins only after the approval), nginx still sends traffic to blue.
  await expect.poll(() => f.engine.queue.getJobCounts('active', 'delayed')).toEqual({ active: 0, delayed: 1 });
  expect(await nginx.readUpstream()).toEqual([`127.0.0.1:${BLUE.port}`]);
  expect(log.events.some((event) => event.type === 'step-finished' && event.stepId === 'host-a:install')).toBe(true);
  expect(log.events.some((event) => event.type === 'step-started' && event.stepId.startsWith('host-a:handoff'))).toBe(false);
  const parkedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await nginx.readUpstream()).toEqual([`127.0.0.1:${BLUE.port}`]);

  const approvedAt = performance.now();
  expect(await f.engine.decide(submitted.upgradeId, { ...approver, decision: 'approve' })).toMatchObject({ counted: true });
  const finished = await log.waitFor((event) => event.type === 'finished', 60_000);
  const toGateMs = parkedAt - started;
  const afterGateMs = performance.now() - approvedAt;
  const stats = await poller.stop();

  expect(finished, JSON.stringify(log.events.filter((event) => event.type === 'step-failed' || event.type === 'log'))).toMatchObject({ outcome: 'succeeded' });
  expect(await nginx.readUpstream()).toEqual([`127.0.0.1:${GREEN.port}`]);
  expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/current/bin/openclaw`)).version).toBe('1.3.0');
  expect((await openclawVersion(f.shell, host, `${RELEASES_DIR}/1.2.0/bin/openclaw`)).version).toBe('1.2.0');
  // Blue's state dir is kept; green runs on a restored copy migrated to the new schema.
  expect(await f.schemaOf(host, '/root/.openclaw')).toBe(1);
  expect(await f.schemaOf(host, '/root/.openclaw-green')).toBe(2);

  // The thread reports the measured freeze and what blue wrote after it (a count, not a ✅).
  const said = (id: string) => log.events.flatMap((event) => event.type === 'step-finished' && event.stepId === id ? [event.excerpt ?? ''] : []).join('');
  expect(said('host-a:handoff-switched')).toMatch(/write freeze \d+\.\d s \(freeze to traffic switch\)/);
  expect(said('host-a:handoff-left')).toMatch(/not in the new one\): .*0 file\(s\)/);
  expect(stats.failed).toEqual([]);
  expect(stats.ok).toBeGreaterThan(20);
  expect([...stats.versions].sort()).toEqual(['1.2.0', '1.3.0']);
  const sorted = [...stats.latencies].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
  const slowest = log.events.flatMap((event) => event.type === 'step-finished' ? [`${event.stepId} ${event.durationMs} ms`] : [])
    .sort((a, b) => Number(b.split(' ')[1]) - Number(a.split(' ')[1])).slice(0, 4).join(', ');
  log.stop();
  process.stdout.write(`[bench] blue-green upgrade of 1 host: ${Math.round(toGateMs + afterGateMs)} ms wall without the gate wait (${Math.round(toGateMs)} ms to the gate, ${Math.round(afterGateMs)} ms after approval), `
    + `${stats.ok} requests through nginx, ${stats.failed.length} failed, p99 ${p99.toFixed(1)} ms; slowest: ${slowest}\n`);
}, 120_000);
