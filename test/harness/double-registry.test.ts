import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanNpmEnv, startRegistry, type TestRegistry } from './registry.js';

const execFileAsync = promisify(execFile);
let registry: TestRegistry;
let home: string;

beforeAll(async () => {
  registry = await startRegistry({ versions: ['1.2.0', '1.3.0', '1.4.0-breaking'] });
  // A clean HOME whose .npmrc points at the registry, like a test host's /root.
  home = await mkdtemp(join(tmpdir(), 'clawops-npm-home-'));
  await writeFile(join(home, '.npmrc'), `${registry.npmrc().join('\n')}\n`);
});
afterAll(async () => {
  await registry?.stop();
  await rm(home, { recursive: true, force: true });
});

async function npm(args: readonly string[], cwd = home): Promise<string> {
  const { stdout } = await execFileAsync('npm', args, { cwd, env: cleanNpmEnv({ HOME: home }), timeout: 60_000 });
  return stdout;
}

async function openclaw(prefix: string, args: readonly string[]): Promise<string> {
  const { stdout } = await execFileAsync(join(prefix, 'bin', 'openclaw'), args, { env: cleanNpmEnv({ HOME: home }) });
  return stdout;
}

test('a real npm install -g --prefix from the registry gives a working openclaw of that version', async () => {
  const prefix = join(home, 'releases', '1.2.0');
  await npm(['install', '-g', '--prefix', prefix, 'openclaw@1.2.0', '--allow-scripts=openclaw']);
  expect(await openclaw(prefix, ['--version'])).toMatch(/^OpenClaw 1\.2\.0 \([0-9a-f]{7}\)\n$/);
  // The postinstall ran (allowed by --allow-scripts), so commands beyond --version work.
  const status = await execFileAsync(join(prefix, 'bin', 'openclaw'), ['update', 'status', '--json'],
    { env: cleanNpmEnv({ HOME: home }) }).catch((error: { stdout: string }) => error);
  expect(JSON.parse(status.stdout)).toMatchObject({ update: { registry: { latestVersion: '1.3.0' } }, availability: { hasRegistryUpdate: true } });
  expect(registry.requests).toContain('GET /openclaw/-/openclaw-1.2.0.tgz');
});

test('npm view sees every version and the latest dist-tag, which can be moved', async () => {
  expect((await npm(['view', 'openclaw@1.3.0', 'version'])).trim()).toBe('1.3.0');
  expect((await npm(['view', 'openclaw', 'version'])).trim()).toBe('1.3.0');
  registry.setLatest('1.4.0-breaking');
  try {
    expect((await npm(['view', 'openclaw', 'dist-tags.latest'])).trim()).toBe('1.4.0-breaking');
  } finally {
    registry.setLatest('1.3.0');
  }
});

test('each tarball carries only its own CHANGELOG in the real layout; a breaking version says so', async () => {
  const dir = join(home, 'pack');
  await mkdir(dir);
  await npm(['pack', 'openclaw@1.4.0-breaking'], dir);
  await execFileAsync('tar', ['xzf', 'openclaw-1.4.0-breaking.tgz'], { cwd: dir });
  const changelog = await readFile(join(dir, 'package', 'CHANGELOG.md'), 'utf8');
  expect(changelog).toMatch(/^## 1\.4\.0-breaking$/m);
  expect(changelog.match(/^## /gm)).toHaveLength(1);
  expect(changelog).toMatch(/### Highlights[\s\S]*### Changes[\s\S]*### Fixes/);
  expect(changelog).toMatch(/^- \*\*Breaking — Node runtime:\*\* /m);
  const { stdout: plain } = await execFileAsync('tar', ['xzOf', registry.tarball('1.3.0'), 'package/CHANGELOG.md']);
  expect(plain).toMatch(/^## 1\.3\.0$/m);
  expect(plain).not.toContain('Breaking');
});
