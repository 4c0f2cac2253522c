/**
 * A minimal npm registry for the OpenClaw double: the `openclaw` packument and tarballs packed
 * with the real `npm pack` from test/double, the version stamped in. Real `npm install -g`,
 * `npm view` and `npm pack` run against it; hosts reach it on their gatewayAddress.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import semver from 'semver';

const execFileAsync = promisify(execFile);
export const DOUBLE_SOURCE = fileURLToPath(new URL('../double/', import.meta.url));

/** One published version of the double and the behaviour it was built with. */
export interface DoubleVersion {
  version: string;
  /** State schema this build writes and accepts (default: derived from the version, see test/double/lib/build.js). */
  schema?: number;
  /** `/readyz` never turns 200 (default: the version's prerelease tag contains `neverready`). */
  neverReady?: boolean;
  /** The start-up migration fails with exit 1 (default: the tag contains `migrationfail`). */
  migrationFails?: boolean;
  /** Start-up delay before `/readyz` turns 200 (default 300 ms; env OPENCLAW_DOUBLE_STARTUP_MS overrides at run time). */
  startupDelayMs?: number;
  /** Breaking-change bullets for the CHANGELOG as `[area, text]` (default: one Node runtime bullet when the tag contains `breaking`). */
  breaking?: ReadonlyArray<readonly [string, string]>;
}

export interface StartRegistryOptions {
  versions: ReadonlyArray<string | DoubleVersion>;
  /** Addresses to listen on, all on the same free port (default ['127.0.0.1']). */
  listen?: readonly string[];
  /** The `latest` dist-tag (default: the highest version without a prerelease tag). */
  latest?: string;
}

export interface TestRegistry {
  port: number;
  /** `http://<address>:<port>/` for the first listen address, or for the given one. */
  url(address?: string): string;
  /** Lines for an .npmrc that points npm at this registry from `address`. */
  npmrc(address?: string): string[];
  setLatest(version: string): void;
  /** Starts listening on one more address (same port), e.g. a host started after the registry. */
  listenOn(address: string): Promise<void>;
  /** Path of the packed tarball of a version (to inspect or install from a file). */
  tarball(version: string): string;
  /** Requests served, as `METHOD path` (for assertions). */
  readonly requests: readonly string[];
  stop(): Promise<void>;
}

interface Packed {
  spec: DoubleVersion;
  path: string;
  shasum: string;
  integrity: string;
  publishedAt: string;
}

export function normalizeVersion(entry: string | DoubleVersion): DoubleVersion {
  return typeof entry === 'string' ? { version: entry } : entry;
}

/** The CHANGELOG.md the real tarballs carry: only this release, in the real section layout. */
export function changelogFor(spec: DoubleVersion): string {
  const tag = spec.version.includes('-') ? spec.version.slice(spec.version.indexOf('-') + 1) : '';
  const breaking = spec.breaking ?? (/breaking/i.test(tag)
    ? [['Node runtime', 'OpenClaw now requires Node.js >=24.16; installs on older runtimes refuse to start. Upgrade Node before upgrading OpenClaw. (#140211)']] as const
    : []);
  return [
    '# Changelog', '', 'Docs: https://docs.openclaw.ai', '',
    `## ${spec.version}`, '',
    '### Highlights', '',
    `- **Steadier gateway restarts:** ${spec.version} keeps queued replies through restarts and reports readiness only after sidecars start. (#139400)`, '',
    '### Changes', '',
    ...breaking.map(([area, text]) => `- **Breaking — ${area}:** ${text}`),
    '- **Backup verification:** `openclaw backup create --verify` checks every archived asset before reporting success. (#139512)', '',
    '### Fixes', '',
    '- **Doctor diagnostics:** report the concrete database error instead of a generic failure. (#139136)', '',
  ].join('\n');
}

/** Copies test/double into `dir` and stamps the version, behaviour and changelog into it. */
export async function stampDouble(spec: DoubleVersion, dir: string): Promise<void> {
  await cp(DOUBLE_SOURCE, dir, { recursive: true, filter: (source) => !/\.test\.|node_modules/.test(source) });
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  pkg.version = spec.version;
  pkg.scripts = { postinstall: 'node scripts/postinstall.js' };
  const extra = Object.fromEntries(Object.entries({ schema: spec.schema, neverReady: spec.neverReady, migrationFails: spec.migrationFails,
    startupDelayMs: spec.startupDelayMs }).filter(([, value]) => value !== undefined));
  await Promise.all([
    writeFile(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`),
    writeFile(join(dir, 'double.json'), `${JSON.stringify(extra, null, 2)}\n`),
    writeFile(join(dir, 'CHANGELOG.md'), changelogFor(spec)),
    // Like the real package: the CLI refuses to run until its postinstall removed this marker.
    writeFile(join(dir, '.openclaw-lifecycle-pending'), ''),
  ]);
}

async function pack(spec: DoubleVersion, workDir: string): Promise<Packed> {
  const source = join(workDir, `src-${spec.version}`);
  await stampDouble(spec, source);
  const { stdout } = await execFileAsync('npm', ['pack', '--json', '--pack-destination', workDir], {
    cwd: source, env: cleanNpmEnv({ npm_config_update_notifier: 'false', npm_config_loglevel: 'error' }),
  });
  const [info] = JSON.parse(stdout) as Array<{ filename: string }>;
  if (!info) throw new Error(`npm pack printed nothing for ${spec.version}`);
  const path = join(workDir, info.filename);
  const bytes = await readFile(path);
  return {
    spec, path,
    shasum: createHash('sha1').update(bytes).digest('hex'),
    integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
    publishedAt: new Date().toISOString(),
  };
}

/**
 * process.env without npm's own settings: under `npx`/`npm run`, npm exports its config
 * (cache, userconfig, registry…) as npm_config_* and a child npm would silently obey it.
 */
export function cleanNpmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_(config|package|lifecycle)_/i.test(key)));
  return { ...env, ...extra };
}

/** Packs every version (in parallel), then serves them on every `listen` address. */
export async function startRegistry(options: StartRegistryOptions): Promise<TestRegistry> {
  const workDir = await mkdtemp(join(tmpdir(), 'clawops-registry-'));
  const servers: Server[] = [];
  const requests: string[] = [];
  try {
    const packed = new Map<string, Packed>();
    for (const result of await Promise.all(options.versions.map((entry) => pack(normalizeVersion(entry), workDir)))) {
      packed.set(result.spec.version, result);
    }
    const versions = [...packed.keys()].sort(semver.compare);
    let latest = options.latest ?? versions.filter((v) => !v.includes('-')).at(-1) ?? versions.at(-1) ?? '';

    const packument = (host: string) => ({
      _id: 'openclaw', name: 'openclaw', description: 'OpenClaw test double',
      'dist-tags': { latest },
      versions: Object.fromEntries(versions.map((version) => {
        const entry = packed.get(version) as Packed;
        return [version, {
          name: 'openclaw', version, description: 'OpenClaw test double', type: 'module', license: 'MIT',
          bin: { openclaw: 'openclaw.js' }, scripts: { postinstall: 'node scripts/postinstall.js' }, hasInstallScript: true,
          engines: { node: '>=20' }, _id: `openclaw@${version}`,
          dist: { tarball: `http://${host}/openclaw/-/openclaw-${version}.tgz`, shasum: entry.shasum, integrity: entry.integrity },
        }];
      })),
      time: { created: packed.get(versions[0] ?? '')?.publishedAt, modified: new Date().toISOString(),
        ...Object.fromEntries(versions.map((v) => [v, packed.get(v)?.publishedAt])) },
    });

    const handle = (req: IncomingMessage, res: ServerResponse) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
      requests.push(`${req.method} ${path}`);
      const send = (status: number, type: string, body: string | Buffer) => {
        res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      if (path === '/openclaw') return send(200, 'application/json', JSON.stringify(packument(req.headers.host ?? 'localhost')));
      const match = /^\/openclaw\/-\/openclaw-(.+)\.tgz$/.exec(path);
      const entry = match?.[1] === undefined ? undefined : packed.get(match[1]);
      if (entry) {
        void readFile(entry.path).then((bytes) => send(200, 'application/octet-stream', bytes), () => send(500, 'text/plain', 'read failed'));
        return undefined;
      }
      return send(404, 'application/json', JSON.stringify({ error: 'Not found' }));
    };

    const listenOn = (address: string, port: number) => new Promise<number>((resolve, reject) => {
      const server = createServer(handle);
      server.once('error', reject);
      server.listen(port, address, () => {
        servers.push(server);
        const bound = server.address();
        resolve(typeof bound === 'object' && bound ? bound.port : port);
      });
    });
    const listen = options.listen ?? ['127.0.0.1'];
    const port = await listenOn(listen[0] ?? '127.0.0.1', 0);
    for (const address of listen.slice(1)) await listenOn(address, port);

    const url = (address = listen[0] ?? '127.0.0.1') => `http://${address}:${port}/`;
    return {
      port, url, requests,
      npmrc: (address) => [`registry=${url(address)}`, 'update-notifier=false', 'audit=false', 'fund=false'],
      setLatest(version) {
        if (!packed.has(version)) throw new Error(`registry has no openclaw@${version}`);
        latest = version;
      },
      listenOn: async (address) => { await listenOn(address, port); },
      tarball(version) {
        const entry = packed.get(version);
        if (!entry) throw new Error(`registry has no openclaw@${version}`);
        return entry.path;
      },
      async stop() {
        await Promise.all(servers.map((server) => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); })));
        await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

