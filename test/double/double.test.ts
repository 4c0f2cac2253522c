import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../harness/ports.js';
import { localDoubles, type LocalDoubles, type LocalGateway } from './local.js';

let doubles: LocalDoubles;
let work: string;
const STARTUP_MS = 400;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'clawops-double-test-'));
  doubles = await localDoubles(['1.2.0', '1.3.0', '1.3.1-neverready', '1.3.1-migrationfail', '2026.9.5', '2026.9.6'],
    { OPENCLAW_DOUBLE_STARTUP_MS: String(STARTUP_MS), HOME: work });
});
afterAll(async () => {
  await doubles?.cleanup();
  await rm(work, { recursive: true, force: true });
});

let counter = 0;
async function freshState(): Promise<string> {
  const dir = join(work, `state-${counter++}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'openclaw.json'), '{\n  // comments and trailing commas, as in the real JSON5 config\n  "gateway": { "mode": "local" },\n}\n');
  return dir;
}

function get(port: number, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function stop(gateway: LocalGateway): Promise<number | string> {
  gateway.child.kill('SIGTERM');
  return gateway.exited;
}

test('--version prints the real format, with a commit per version', async () => {
  const [a, b] = await Promise.all([doubles.run('1.2.0', ['--version']), doubles.run('2026.9.6', ['--version'])]);
  expect(a.stdout).toMatch(/^OpenClaw 1\.2\.0 \([0-9a-f]{7}\)\n$/);
  expect(b.stdout).toMatch(/^OpenClaw 2026\.9\.6 \([0-9a-f]{7}\)\n$/);
  expect(a.stdout.slice(-9)).not.toBe(b.stdout.slice(-9));
});

test('unknown commands and a missing path argument fail like commander does', async () => {
  const preflight = await doubles.run('1.3.0', ['database', 'preflight', '--json']);
  expect(preflight.code).toBe(1);
  expect(preflight.stderr).toContain("missing required argument 'path'");
  expect((await doubles.run('1.3.0', ['migrate', 'status'])).code).toBe(1);
});

describe('backup', () => {
  test('create --verify --json into a folder, verify --json, restore to an empty target, refuse a non-empty one', async () => {
    const stateDir = await freshState();
    await writeFile(join(stateDir, 'notes.txt'), 'keep me\n');
    const env = { OPENCLAW_STATE_DIR: stateDir };
    const out = join(work, 'backups');
    await mkdir(out);
    const created = await doubles.run('1.2.0', ['backup', 'create', '--output', out, '--verify', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const result = JSON.parse(created.stdout) as { archivePath: string; archiveRoot: string; verified: boolean; assets: Array<{ kind: string; sourcePath: string }> };
    expect(result.verified).toBe(true);
    expect(result.archivePath).toBe(join(out, `${result.archiveRoot}.tar.gz`));
    expect(result.archiveRoot).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}[+-]\d\d-\d\d-openclaw-backup$/);
    expect(result.assets).toEqual([expect.objectContaining({ kind: 'state', sourcePath: stateDir })]);

    const verified = await doubles.run('1.3.0', ['backup', 'verify', result.archivePath, '--json'], env);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, archiveRoot: result.archiveRoot, runtimeVersion: '1.2.0', assetCount: 1 });

    const target = join(work, 'restore-1');
    const restored = await doubles.run('1.2.0', ['backup', 'restore', result.archivePath, '--target', target], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`Archive root: ${result.archiveRoot}`);
    const payload = join(target, result.archiveRoot, 'payload', 'posix', stateDir.slice(1));
    expect(await readFile(join(payload, 'notes.txt'), 'utf8')).toBe('keep me\n');
    expect(await readFile(join(payload, 'openclaw.json'), 'utf8')).toBe(await readFile(join(stateDir, 'openclaw.json'), 'utf8'));

    const again = await doubles.run('1.2.0', ['backup', 'restore', result.archivePath, '--target', target], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Backup restore target directory must be empty');
  });

  test('verify rejects a corrupt archive', async () => {
    const bad = join(work, 'bad.tar.gz');
    await writeFile(bad, 'not a gzip stream');
    const verified = await doubles.run('1.2.0', ['backup', 'verify', bad, '--json']);
    expect(verified.code).toBe(1);
    expect(verified.stderr).toContain(`Backup archive verification failed: ${bad}`);
  });
});

describe('gateway', () => {
  test('/readyz is 503 during the start-up delay, then 200; /healthz is live at once', async () => {
    const stateDir = await freshState();
    const port = await freePort();
    const gateway = await doubles.gateway('1.2.0', port, { OPENCLAW_STATE_DIR: stateDir });
    expect(await get(port, '/healthz')).toMatchObject({ status: 200, body: { ok: true, status: 'live' } });
    expect(await get(port, '/readyz')).toMatchObject({ status: 503, body: { ready: false } });
    await new Promise((resolve) => setTimeout(resolve, STARTUP_MS + 150));
    expect(await get(port, '/readyz')).toMatchObject({ status: 200, body: { ready: true, failing: [] } });
    const status = await doubles.run('1.2.0', ['gateway', 'status', '--json', '--port', String(port)], { OPENCLAW_STATE_DIR: stateDir });
    expect(JSON.parse(status.stdout)).toMatchObject({ rpc: { ok: true, server: { version: '1.2.0' } } });
    expect(await stop(gateway)).toBe(0);
  });

  test('gateway status reports version null once the install on disk changed under the running process', async () => {
    const stateDir = await freshState();
    const port = await freePort();
    const gateway = await doubles.gateway('1.3.0', port, { OPENCLAW_STATE_DIR: stateDir });
    const pkgPath = join(doubles.dir, '1.3.0', 'package.json');
    const original = await readFile(pkgPath, 'utf8');
    try {
      await writeFile(pkgPath, original.replace('"version": "1.3.0"', '"version": "1.3.9"'));
      const status = await doubles.run('1.2.0', ['gateway', 'status', '--json', '--port', String(port)], { OPENCLAW_STATE_DIR: stateDir });
      expect(JSON.parse(status.stdout)).toMatchObject({ rpc: { ok: true, server: { version: null } }, gateway: { version: null } });
    } finally {
      await writeFile(pkgPath, original);
    }
    expect(await stop(gateway)).toBe(0);
  });

  test('a never-ready build stays 503', async () => {
    const port = await freePort();
    const gateway = await doubles.gateway('1.3.1-neverready', port, { OPENCLAW_STATE_DIR: await freshState() });
    await new Promise((resolve) => setTimeout(resolve, STARTUP_MS + 200));
    expect((await get(port, '/readyz')).status).toBe(503);
    expect(await stop(gateway)).toBe(0);
  });

  test('a second gateway on the same state dir exits 78', async () => {
    const stateDir = await freshState();
    const first = await doubles.gateway('1.2.0', await freePort(), { OPENCLAW_STATE_DIR: stateDir });
    const second = await doubles.gateway('1.2.0', await freePort(), { OPENCLAW_STATE_DIR: stateDir });
    expect(await second.exited).toBe(78);
    expect(second.output()).toContain(`Another gateway (pid ${first.child.pid}) already owns this state directory`);
    expect(await stop(first)).toBe(0);
  });

  test('SIGTERM drains: an in-flight request completes with Connection: close, /readyz turns 503, exit 0 within ~1 s', async () => {
    const port = await freePort();
    const gateway = await doubles.gateway('1.2.0', port, { OPENCLAW_STATE_DIR: await freshState(), OPENCLAW_DOUBLE_STARTUP_MS: '0', OPENCLAW_DOUBLE_DRAIN_MS: '200' });
    const inFlight = get(port, '/v1/echo?delayMs=500');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    gateway.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await get(port, '/readyz')).toMatchObject({ status: 503, body: { ready: false, failing: ['gateway-draining'] } });
    const answered = await inFlight;
    expect(answered).toMatchObject({ status: 200, body: { ok: true, version: '1.2.0' } });
    expect(answered.headers.connection).toBe('close');
    expect(await gateway.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('state schema', () => {
  test('a newer build migrates forward keeping a .bak; the older build then refuses with exit 78', async () => {
    const stateDir = await freshState();
    const env = { OPENCLAW_STATE_DIR: stateDir };
    const old = await doubles.gateway('1.2.0', await freePort(), env);
    expect(await stop(old)).toBe(0);
    const db = join(stateDir, 'state', 'openclaw.sqlite');
    const preflight = await doubles.run('1.3.0', ['database', 'preflight', db, '--json'], env);
    expect(JSON.parse(preflight.stdout)).toMatchObject({ status: 'migration-required', foundVersion: 1, targetVersion: 2 });

    const next = await doubles.gateway('1.3.0', await freePort(), env);
    expect(next.output()).toContain('running startup migrations');
    expect(await stop(next)).toBe(0);
    const files = await readdir(join(stateDir, 'state'));
    expect(files.some((name) => /^openclaw\.sqlite\.pre-startup-migration-.+\.bak$/.test(name))).toBe(true);
    expect(JSON.parse((await doubles.run('1.3.0', ['database', 'preflight', db, '--json'], env)).stdout)).toMatchObject({ status: 'exact' });

    const refused = await doubles.gateway('1.2.0', await freePort(), env);
    expect(await refused.exited).toBe(78);
    expect(refused.output()).toContain('uses newer schema version 2; this build supports 1');
    const doctor = await doubles.run('1.2.0', ['doctor', '--non-interactive'], env);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('Doctor refused to continue');
    expect((await doubles.run('1.3.0', ['doctor', '--non-interactive'], env)).code).toBe(0);
  });

  test('a build whose migration fails exits 1 and leaves the old schema in place', async () => {
    const stateDir = await freshState();
    const env = { OPENCLAW_STATE_DIR: stateDir };
    expect(await stop(await doubles.gateway('1.2.0', await freePort(), env))).toBe(0);
    const broken = await doubles.gateway('1.3.1-migrationfail', await freePort(), env);
    expect(await broken.exited).toBe(1);
    expect(broken.output()).toContain('schema migration failed');
    const db = join(stateDir, 'state', 'openclaw.sqlite');
    expect(JSON.parse((await doubles.run('1.2.0', ['database', 'preflight', db, '--json'], env)).stdout)).toMatchObject({ status: 'exact', foundVersion: 1 });
  });

  test('on a live database preflight is indeterminate (WAL sidecars); on a `backup sqlite` snapshot the old build says incompatible', async () => {
    const stateDir = await freshState();
    const env = { OPENCLAW_STATE_DIR: stateDir };
    expect(await stop(await doubles.gateway('1.2.0', await freePort(), env))).toBe(0);
    const live = await doubles.gateway('1.3.0', await freePort(), env);
    const db = join(stateDir, 'state', 'openclaw.sqlite');
    // Measured on real 2026.9.5: "indeterminate", exit 0, naming the sidecars.
    const onLive = await doubles.run('1.2.0', ['database', 'preflight', db, '--json'], env);
    expect(JSON.parse(onLive.stdout)).toMatchObject({ status: 'indeterminate', reason: expect.stringContaining('-wal, -shm') as unknown });
    expect(onLive.code).toBe(0);
    const repository = join(stateDir, '..', 'snapshots');
    const created = await doubles.run('1.3.0', ['backup', 'sqlite', 'create', '--global', '--repository', repository, '--json'], env);
    const { snapshotPath, manifest } = JSON.parse(created.stdout) as { snapshotPath: string; manifest: { database: { userVersion: number } } };
    expect(manifest.database.userVersion).toBe(2);
    const onCopy = await doubles.run('1.2.0', ['database', 'preflight', join(snapshotPath, 'database.sqlite'), '--json'], env);
    expect(JSON.parse(onCopy.stdout)).toMatchObject({ status: 'incompatible', foundVersion: 2, targetVersion: 1 });
    expect(onCopy.code).toBe(1);
    expect(await stop(live)).toBe(0);
    expect(await readdir(join(stateDir, 'state'))).not.toContain('openclaw.sqlite-wal');
  });

  test('the older build refuses to restore while its state dir holds the newer schema; pointed at a fresh state dir it restores', async () => {
    const stateDir = await freshState();
    const env = { OPENCLAW_STATE_DIR: stateDir };
    expect(await stop(await doubles.gateway('1.2.0', await freePort(), env))).toBe(0);
    const archive = join(stateDir, '..', 'pre-upgrade.tar.gz');
    expect((await doubles.run('1.2.0', ['backup', 'create', '--output', archive, '--verify', '--json'], env)).code).toBe(0);
    expect(await stop(await doubles.gateway('1.3.0', await freePort(), env))).toBe(0);
    const target = join(stateDir, '..', 'restore');
    const refused = await doubles.run('1.2.0', ['backup', 'restore', archive, '--target', target], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('uses newer schema version 2; this build supports 1');
    const restored = await doubles.run('1.2.0', ['backup', 'restore', archive, '--target', target], { OPENCLAW_STATE_DIR: `${target}.cli-state` });
    expect(restored.code).toBe(0);
  });

  test('2026.9.5 -> 2026.9.6 is a schema change, 2026.9.5 on its own state is not', async () => {
    const env = { OPENCLAW_STATE_DIR: await freshState() };
    expect(await stop(await doubles.gateway('2026.9.5', await freePort(), env))).toBe(0);
    const db = join(env.OPENCLAW_STATE_DIR, 'state', 'openclaw.sqlite');
    expect(JSON.parse((await doubles.run('2026.9.6', ['database', 'preflight', db, '--json'], env)).stdout)).toMatchObject({ status: 'migration-required' });
  });
});

test('update status --json reports the registry latest and whether it is newer', async () => {
  const newer = await doubles.run('1.2.0', ['update', 'status', '--json'], { OPENCLAW_DOUBLE_LATEST_VERSION: '1.3.0' });
  expect(JSON.parse(newer.stdout)).toMatchObject({ update: { registry: { latestVersion: '1.3.0' } }, availability: { hasRegistryUpdate: true, latestVersion: '1.3.0' } });
  const same = await doubles.run('1.3.0', ['update', 'status', '--json'], { OPENCLAW_DOUBLE_LATEST_VERSION: '1.3.0' });
  expect(JSON.parse(same.stdout)).toMatchObject({ availability: { hasRegistryUpdate: false, latestVersion: null } });
});
