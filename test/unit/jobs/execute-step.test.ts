import { createServer, type Server } from 'node:http';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { executeStep } from '../../../src/jobs/execute-step.js';
import { waitForEndpoint } from '../../../src/health/probes.js';
import type { HealthResult } from '../../../src/jobs/events.js';
import { configSchema, type HostConfig } from '../../../src/config/schema.js';
import type { PlanStep } from '../../../src/runbook/types.js';
import { createLocalShell } from '../../harness/local-shell.js';
import { HOST_KEY } from '../../jobs/fixtures.js';

let dir: string;
let server: Server;
let port: number;
let readyAfter = 0;
let healthy = true;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clawops-exec-'));
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/healthz') res.end(JSON.stringify({ ok: healthy, status: 'live' }));
    else if (req.url === '/readyz') {
      const ready = healthy && Date.now() >= readyAfter;
      res.statusCode = ready ? 200 : 503;
      res.end(JSON.stringify({ ready, failing: ready ? [] : ['startup'] }));
    } else { res.statusCode = 404; res.end('{}'); }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function host(extra: Record<string, unknown> = {}): HostConfig {
  const config = configSchema.parse({ environments: { staging: { hosts: [{
    name: 'host-a', address: '127.0.0.1', hostKey: HOST_KEY, strategy: { kind: 'pm2', port }, releasesDir: join(dir, 'releases'), ...extra,
  }] } } });
  const found = config.environments.staging?.hosts[0];
  if (!found) throw new Error('no host');
  return found;
}

function step(action: PlanStep['action'], extra: Partial<PlanStep> = {}): PlanStep {
  return { id: 's', title: 's', kind: 'verify', host: 'host-a', environment: 'staging', action, timeoutMs: 5_000, safeToRepeat: true, ...extra };
}

const ctx = (onHealth?: (results: HealthResult[]) => void) => ({ shell: createLocalShell(), host: host(), signal: new AbortController().signal, ...(onHealth ? { onHealth } : {}) });

test('a command passes on an allowed exit code and fails with its exit code otherwise', async () => {
  expect(await executeStep(step({ type: 'command', argv: ['sh', '-c', 'exit 2'], okExitCodes: [0, 2] }), ctx())).toMatchObject({ ok: true, exitCode: 2 });
  expect(await executeStep(step({ type: 'command', argv: ['sh', '-c', 'echo nope >&2; exit 2'] }), ctx())).toMatchObject({ ok: false, exitCode: 2, excerpt: 'nope' });
  expect(await executeStep(step({ type: 'command', argv: ['sh', '-c', 'echo "$GREETING"'], env: { GREETING: 'hi there' } }), ctx())).toMatchObject({ ok: true, excerpt: 'hi there' });
});

test('a command that outlives its step timeout fails the step', async () => {
  const result = await executeStep(step({ type: 'command', argv: ['sleep', '5'] }, { timeoutMs: 200 }), ctx());
  expect(result).toMatchObject({ ok: false, error: expect.stringContaining('timed out') });
  expect(result.durationMs).toBeLessThan(2_000);
});

test('write-file writes the file on the host', async () => {
  const path = join(dir, 'conf', 'upstream.conf');
  expect(await executeStep(step({ type: 'write-file', path, content: 'server 127.0.0.1:19789;\n' }), ctx())).toMatchObject({ ok: true });
  expect(await readFile(path, 'utf8')).toBe('server 127.0.0.1:19789;\n');
});

test('http-check polls /readyz until ready, through curl on the host and with fetch from the bot', async () => {
  for (const viaHost of [true, false]) {
    readyAfter = Date.now() + 700;
    const seen: HealthResult[][] = [];
    const result = await executeStep(step({ type: 'http-check', url: `http://127.0.0.1:${port}`, expect: 'ready', timeoutMs: 5_000, viaHost }), ctx((r) => seen.push(r)));
    expect(result).toMatchObject({ ok: true });
    expect(result.durationMs).toBeGreaterThanOrEqual(500);
    expect(seen.at(-1)?.[0]).toMatchObject({ ready: true });
  }
  readyAfter = Date.now() + 60_000;
  expect(await executeStep(step({ type: 'http-check', url: `http://127.0.0.1:${port}/readyz`, expect: 'ready', timeoutMs: 800, viaHost: false }), ctx()))
    .toMatchObject({ ok: false, error: expect.stringContaining('not ready') });
  readyAfter = 0;
});

test('readiness polls every 100 ms for the first second, then back off to every 500 ms', async () => {
  readyAfter = Date.now() + 2_000;
  const probe = { host: 'host-a', baseUrl: `http://127.0.0.1:${port}`, viaHost: false };
  const started = Date.now();
  const result = await waitForEndpoint(probe, 'ready', { timeoutMs: 10_000 });
  readyAfter = 0;
  expect(result.ok).toBe(true);
  // 10 polls in the first second, then 150, 225, 338, 500 ms apart: ≈ 14 to cover 2 s
  // (20 at a fixed 100 ms, 5 at a fixed 500 ms); slow probes on a loaded machine make it fewer.
  expect(result.attempts).toBeGreaterThanOrEqual(8);
  expect(result.attempts).toBeLessThanOrEqual(16);
  expect(Date.now() - started).toBeLessThan(2_000 + 900);
});

test('a gateway that answers /readyz with 503 shows as live but not ready; one that refuses connections as neither', async () => {
  readyAfter = Date.now() + 60_000;
  for (const viaHost of [true, false]) {
    const seen: HealthResult[][] = [];
    await executeStep(step({ type: 'http-check', url: `http://127.0.0.1:${port}`, expect: 'ready', timeoutMs: 300, viaHost }), ctx((r) => seen.push(r)));
    expect(seen.at(-1)?.[0]).toMatchObject({ live: true, ready: false });
  }
  readyAfter = 0;
  const seen: HealthResult[][] = [];
  await executeStep(step({ type: 'http-check', url: 'http://127.0.0.1:1', expect: 'ready', timeoutMs: 300, viaHost: true }), ctx((r) => seen.push(r)));
  expect(seen.at(-1)?.[0]).toMatchObject({ live: false, ready: false });
});

test('a live-only check (/healthz) leaves the health panel alone: it says nothing about readiness', async () => {
  readyAfter = Date.now() + 60_000;
  const seen: HealthResult[][] = [];
  const result = await executeStep(step({ type: 'http-check', url: `http://127.0.0.1:${port}/healthz`, expect: 'live', timeoutMs: 2_000, viaHost: false }), ctx((r) => seen.push(r)));
  readyAfter = 0;
  expect(result).toMatchObject({ ok: true });
  expect(seen).toEqual([]);
});

test('a watch shows the version each gateway reports and fails when one runs another version', async () => {
  const versions = { 'host-a': { argv: ['sh', '-c', 'echo "OpenClaw $V (ab12cd3)"'], env: { V: '2026.9.6' } } };
  const seen: HealthResult[][] = [];
  const ok = await executeStep(step({ type: 'watch', minutes: 0.005, intervalSeconds: 0.2, expectVersion: '2026.9.6', versions }), ctx((r) => seen.push(r)));
  expect(ok).toMatchObject({ ok: true });
  expect(seen[0]).toEqual([expect.objectContaining({ host: 'host-a', live: true, ready: true, version: '2026.9.6' })]);
  const stale = await executeStep(step({ type: 'watch', minutes: 1, intervalSeconds: 1, expectVersion: '2026.9.7', versions }), ctx());
  expect(stale).toMatchObject({ ok: false, proposeRollback: true, error: 'health check 1 failed: host-a runs 2026.9.6, not 2026.9.7' });
});

test('version-check reads <releasesDir>/current/bin/openclaw --version', async () => {
  const bin = join(dir, 'releases', '2026.9.6', 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'openclaw'), '#!/bin/sh\necho "OpenClaw 2026.9.6 (ab12cd3)"\n');
  await chmod(join(bin, 'openclaw'), 0o755);
  await symlink(join(dir, 'releases', '2026.9.6'), join(dir, 'releases', 'current'));
  expect(await executeStep(step({ type: 'version-check', expectVersion: '2026.9.6' }), ctx())).toMatchObject({ ok: true });
  expect(await executeStep(step({ type: 'version-check', expectVersion: '2026.9.7' }), ctx()))
    .toMatchObject({ ok: false, error: 'expected version 2026.9.7, host runs 2026.9.6' });
});

test('watch reports health each interval and proposes rollback when the gateway turns unhealthy', async () => {
  const seen: HealthResult[][] = [];
  // 2.4 s at 0.3 s intervals: at least two rounds even when a loaded machine makes each check slow.
  const ok = await executeStep(step({ type: 'watch', minutes: 0.04, intervalSeconds: 0.3 } as PlanStep['action']), ctx((r) => seen.push(r)));
  expect(ok).toMatchObject({ ok: true });
  expect(seen.length).toBeGreaterThanOrEqual(2);
  expect(seen.every(([result]) => result?.live && result.ready)).toBe(true);
  healthy = false;
  const bad = await executeStep(step({ type: 'watch', minutes: 1, intervalSeconds: 1 }), ctx());
  healthy = true;
  expect(bad).toMatchObject({ ok: false, proposeRollback: true });
});

test('version-check runs the step argv with its env and compares the first version-like token', async () => {
  const action = { type: 'version-check' as const, expectVersion: '2026.9.6', argv: ['sh', '-c', 'echo "image openclaw/openclaw:$TAG"'], env: { TAG: '2026.9.6' } };
  expect(await executeStep(step(action), ctx())).toMatchObject({ ok: true, excerpt: 'image openclaw/openclaw:2026.9.6' });
  expect(await executeStep(step({ ...action, env: { TAG: '2026.9.5' } }), ctx()))
    .toMatchObject({ ok: false, error: 'expected version 2026.9.6, host runs 2026.9.5' });
});

function fleetWide(action: PlanStep['action']): PlanStep {
  const fleetStep = step(action);
  delete fleetStep.host;
  return fleetStep;
}

test('notify runs nothing remotely and keeps its message as the step record', async () => {
  const shell = createLocalShell();
  const result = await executeStep(fleetWide({ type: 'notify', message: 'Upgrade up-1: staging 1.2.0 → 1.3.0' }), { shell, signal: new AbortController().signal });
  expect(result).toMatchObject({ ok: true, excerpt: 'Upgrade up-1: staging 1.2.0 → 1.3.0' });
  expect(shell.runs).toEqual([]);
});

test('a watch with no host checks every host of the environment and names the unhealthy one', async () => {
  const seen: HealthResult[][] = [];
  const fleetWatch = (minutes: number) => fleetWide({ type: 'watch', minutes, intervalSeconds: 0.3 });
  const hosts = [host(), { ...host(), name: 'host-b' }, { ...host(), name: 'host-c', strategy: { kind: 'pm2' as const, app: 'openclaw', port: 1 } }];
  const okCtx = { shell: createLocalShell(), signal: new AbortController().signal, environmentHosts: hosts.slice(0, 2), onHealth: (r: HealthResult[]) => seen.push(r) };
  expect(await executeStep(fleetWatch(0.01), okCtx)).toMatchObject({ ok: true });
  expect(seen[0]?.map((result) => [result.host, result.ready])).toEqual([['host-a', true], ['host-b', true]]);
  const bad = await executeStep(fleetWatch(1), { ...okCtx, environmentHosts: hosts });
  expect(bad).toMatchObject({ ok: false, proposeRollback: true, error: 'health check 1 failed: host-c not live' });
  expect(await executeStep(fleetWatch(1), { shell: createLocalShell(), signal: new AbortController().signal })).toMatchObject({ ok: false });
});
