/**
 * A real container engine on a test host for the docker-compose strategy: rootful podman 4 +
 * Compose v1 (Debian has no v2 plugin), recipe in DESIGN §2. Everything runs inside the host's
 * namespaces, so the published port is on the host's own loopback where clawops' ready check
 * polls, and a power-off takes the engine with it:
 * - `podman system service` on /run/podman/podman.sock, and a `docker` on the host's PATH
 *   (/opt/npm/bin) that runs `docker-compose` for `docker compose …` (the strategy's v2 argv)
 *   and `podman` for anything else, both talking to that socket;
 * - a Docker registry (Debian `docker-registry`) on 127.0.0.1:5000, so the strategy's
 *   `compose pull` really pulls: podman's compat API reports a failed pull of a local-only
 *   image as done (after 3 retries), which would hide a missing image;
 * - one image per version of the OpenClaw double, built on the host from a rootfs holding
 *   this machine's node (and what `ldd` lists), busybox, and the stamped double.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { TestHost } from './hosts.js';
import { normalizeVersion, stampDouble, type DoubleVersion } from './registry.js';

const execFileAsync = promisify(execFile);

/** Inside the host: engine config, storage, registry data, compose project. */
const ENGINE_DIR = '/opt/containers';
export const COMPOSE_DIR = '/opt/compose';
export const COMPOSE_FILE = `${COMPOSE_DIR}/compose.yml`;
export const COMPOSE_PROJECT = 'clawops';
export const COMPOSE_SERVICE = 'openclaw';
export const IMAGE_REPO = '127.0.0.1:5000/openclaw';
const SOCKET = '/run/podman/podman.sock';
const NODE = '/usr/bin/node';

const ENGINE_ENV = {
  DOCKER_HOST: `unix://${SOCKET}`,
  CONTAINERS_CONF: `${ENGINE_DIR}/containers.conf`,
  CONTAINERS_STORAGE_CONF: `${ENGINE_DIR}/storage.conf`,
  CONTAINERS_REGISTRIES_CONF: `${ENGINE_DIR}/registries.conf`,
};
const ENV_LINE = Object.entries(ENGINE_ENV).map(([key, value]) => `${key}=${value}`).join(' ');

// crun fails on this VM's hybrid cgroups and podman's default ulimits exceed the hard limits
// here; healthchecks would need systemd timers, events journald (DESIGN §2). CNI configs and
// leases default to /etc/cni and /var/lib/cni, shared by every host: keep them per host.
const CONTAINERS_CONF = `[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_config_dir = "${ENGINE_DIR}/cni"
`;
const STORAGE_CONF = `[storage]\ndriver = "overlay"\ngraphroot = "${ENGINE_DIR}/storage"\nrunroot = "/run/containers/storage"\n`;
const REGISTRIES_CONF = `[[registry]]\nlocation = "127.0.0.1:5000"\ninsecure = true\n`;
const REGISTRY_YML = `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${ENGINE_DIR}/registry\nhttp:\n  addr: 127.0.0.1:5000\n`;
const DOCKER_WRAPPER = `#!/bin/sh
# The strategy runs \`docker compose …\` (Compose v2 syntax); Debian ships Compose v1 as docker-compose.
export ${ENV_LINE}
if [ "$1" = compose ]; then shift; exec docker-compose "$@"; fi
exec podman "$@"
`;

/** Host path of an in-host /opt path. */
function hostPath(host: TestHost, inHost: string): string {
  if (!inHost.startsWith('/opt/')) throw new Error(`not under /opt: ${inHost}`);
  return join(host.optDir, inHost.slice('/opt/'.length));
}

async function must(host: TestHost, argv: readonly string[], what: string): Promise<string> {
  const result = await host.nsExec(argv);
  if (result.exitCode !== 0) throw new Error(`${host.name}: ${what} exited ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}

/**
 * `ip netns exec` mounts a fresh /sys without the cgroup hierarchies, and runc fails with "no
 * cgroup mount found in mountinfo": mount the machine's hierarchies again, the way they are here
 * (v1 controllers under a tmpfs on this VM, one cgroup2 on a unified-only machine).
 */
async function cgroupMounts(): Promise<string> {
  const lines = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n');
  const script: string[] = [];
  for (const line of lines) {
    const [left, right] = line.split(' - ');
    const point = left?.split(' ')[4];
    const [fstype, , superOptions = ''] = right?.split(' ') ?? [];
    if (point === undefined || (point !== '/sys/fs/cgroup' && !point.startsWith('/sys/fs/cgroup/'))) continue;
    const options = superOptions.split(',').filter((option) => option !== 'rw' && option !== 'ro').join(',');
    if (fstype === 'tmpfs') script.push(`mount -t tmpfs -o mode=755 tmpfs ${point}`);
    else if (fstype === 'cgroup2') script.push(`mkdir -p ${point} && mount -t cgroup2 cgroup2 ${point}`);
    else if (fstype === 'cgroup') script.push(`mkdir -p ${point} && mount -t cgroup -o ${options === '' ? 'none' : options} cgroup ${point}`);
  }
  if (script.length === 0) throw new Error('no cgroup hierarchy under /sys/fs/cgroup on this machine');
  return script.join(' && ');
}

async function waitFor(host: TestHost, argv: readonly string[], what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await host.nsExec(argv);
    if (result.exitCode === 0) return;
    if (Date.now() > deadline) throw new Error(`${host.name}: ${what} not up after ${timeoutMs} ms: ${result.stderr.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts podman's API service and the image registry inside the host; puts `docker` on its PATH. */
export async function startComposeEngine(host: TestHost): Promise<void> {
  const engineDir = hostPath(host, ENGINE_DIR);
  await mkdir(join(engineDir, 'cni'), { recursive: true });
  await mkdir(join(engineDir, 'cni-leases'), { recursive: true });
  await Promise.all([
    writeFile(join(engineDir, 'containers.conf'), CONTAINERS_CONF),
    writeFile(join(engineDir, 'storage.conf'), STORAGE_CONF),
    writeFile(join(engineDir, 'registries.conf'), REGISTRIES_CONF),
    writeFile(join(engineDir, 'registry.yml'), REGISTRY_YML),
    mkdir(join(host.optDir, 'npm', 'bin'), { recursive: true }).then(() => writeFile(join(host.optDir, 'npm', 'bin', 'docker'), DOCKER_WRAPPER, { mode: 0o755 })),
  ]);
  const mounts = `${await cgroupMounts()} && mount --bind ${ENGINE_DIR}/cni-leases /var/lib/cni`;
  await must(host, ['sh', '-c', `mkdir -p /var/lib/cni /run/podman && ${mounts}`], 'mounting cgroups');
  // Daemons of the host: setsid detaches them from nsenter; the host's power-off ends them.
  await must(host, ['sh', '-c', [
    `env ${ENV_LINE} setsid podman system service --time=0 unix://${SOCKET} >${ENGINE_DIR}/podman.log 2>&1 </dev/null &`,
    `setsid docker-registry serve ${ENGINE_DIR}/registry.yml >${ENGINE_DIR}/registry.log 2>&1 </dev/null &`,
  ].join('\n')], 'starting podman and the registry');
  await waitFor(host, ['curl', '-sf', '--unix-socket', SOCKET, 'http://d/_ping'], 'podman service');
  await waitFor(host, ['curl', '-sf', 'http://127.0.0.1:5000/v2/'], 'image registry');
}

/** The engine's and the registry's logs (for failure messages). */
export async function engineLogs(host: TestHost): Promise<string> {
  const read = (name: string) => readFile(join(hostPath(host, ENGINE_DIR), name), 'utf8').catch(() => '');
  return `podman:\n${(await read('podman.log')).slice(-3000)}\nregistry:\n${(await read('registry.log')).slice(-1000)}`;
}

const APPLETS = ['sh', 'ls', 'cat', 'cp', 'mv', 'rm', 'mkdir', 'tar'];

/** A rootfs with node and what it links, busybox applets: enough for the double's `#!/usr/bin/env node`. */
async function nodeRootfs(dir: string): Promise<void> {
  const { stdout } = await execFileAsync('ldd', [NODE]);
  const libs = [...stdout.matchAll(/(\/\S+\.so[.\d]*)/g)].map((match) => match[1] as string);
  await Promise.all([NODE, ...libs].map(async (file) => {
    await mkdir(join(dir, dirname(file)), { recursive: true });
    await copyFile(file, join(dir, file));
  }));
  await mkdir(join(dir, 'bin'), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'bin', 'busybox'));
  // The applets an operator's restore needs (`docker compose run … sh -c`), besides the shebang's env.
  await Promise.all([...APPLETS.map((name) => symlink('busybox', join(dir, 'bin', name))), symlink('/bin/busybox', join(dir, 'usr', 'bin', 'env')),
    mkdir(join(dir, 'tmp'), { recursive: true, mode: 0o1777 }), mkdir(join(dir, 'root'), { recursive: true, mode: 0o700 }),
    mkdir(join(dir, 'usr', 'local', 'bin'), { recursive: true })]);
  await symlink('../lib/node_modules/openclaw/openclaw.js', join(dir, 'usr', 'local', 'bin', 'openclaw'));
}

const BASE_IMAGE = 'localhost/clawops-node:base';
const BASE_FILE = 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/root\n';
const versionFile = (version: string) => [
  `FROM ${BASE_IMAGE}`, 'COPY openclaw/ /usr/local/lib/node_modules/openclaw/',
  `LABEL org.opencontainers.image.version=${version}`,
  'ENTRYPOINT ["/usr/local/bin/openclaw"]', 'CMD ["gateway", "run", "--port", "18789", "--bind", "lan"]', '',
].join('\n');

/**
 * Builds `IMAGE_REPO:<version>` for each version on the host and pushes it to the host's
 * registry; returns how long that took. The double is stamped like the npm registry stamps
 * it, with its postinstall done (the marker removed).
 */
export async function buildDoubleImages(host: TestHost, versions: ReadonlyArray<string | DoubleVersion>): Promise<number> {
  const started = performance.now();
  const build = join(hostPath(host, ENGINE_DIR), 'build');
  await rm(build, { recursive: true, force: true });
  await nodeRootfs(join(build, 'base', 'rootfs'));
  await writeFile(join(build, 'base', 'Containerfile'), BASE_FILE);
  await must(host, ['/opt/npm/bin/docker', 'build', '-q', '-t', BASE_IMAGE, `${ENGINE_DIR}/build/base`], 'building the node base image');
  for (const entry of versions.map(normalizeVersion)) {
    const dir = join(build, entry.version);
    await stampDouble(entry, join(dir, 'openclaw'));
    await rm(join(dir, 'openclaw', '.openclaw-lifecycle-pending'), { force: true });
    await writeFile(join(dir, 'Containerfile'), versionFile(entry.version));
    const tag = `${IMAGE_REPO}:${entry.version}`;
    await must(host, ['/opt/npm/bin/docker', 'build', '-q', '-t', tag, `${ENGINE_DIR}/build/${entry.version}`], `building ${tag}`);
    await must(host, ['/opt/npm/bin/docker', 'push', '-q', tag], `pushing ${tag}`);
  }
  await rm(build, { recursive: true, force: true });
  return performance.now() - started;
}

export interface ComposeProjectOptions {
  /** Published on the host (all its addresses): the gateway listens on 18789 in the container. */
  port?: number;
  /** OPENCLAW_DOUBLE_STARTUP_MS of the gateway. */
  startupMs?: number;
  /** Host directory mounted at the same path, so backups written in the container outlive it. */
  backupDir?: string;
}

/** Writes the compose project: the image tag from OPENCLAW_VERSION, the state in a named volume. */
export async function writeComposeProject(host: TestHost, options: ComposeProjectOptions = {}): Promise<void> {
  const backupDir = options.backupDir ?? '/root/.clawops/backups';
  const file = [
    'version: "3.8"',
    'services:',
    `  ${COMPOSE_SERVICE}:`,
    `    image: ${IMAGE_REPO}:\${OPENCLAW_VERSION}`,
    `    ports: ["${options.port ?? 18789}:18789"]`,
    `    environment: { OPENCLAW_STATE_DIR: /root/.openclaw, OPENCLAW_DOUBLE_STARTUP_MS: "${options.startupMs ?? 150}" }`,
    `    volumes: ["state:/root/.openclaw", "${backupDir}:${backupDir}"]`,
    '    stop_grace_period: 10s',
    'volumes:',
    '  state: {}',
    '',
  ].join('\n');
  await mkdir(hostPath(host, COMPOSE_DIR), { recursive: true });
  await writeFile(hostPath(host, COMPOSE_FILE), file);
  await must(host, ['mkdir', '-p', backupDir], 'creating the backup dir');
}

/** `docker compose` on the host (through the wrapper), with the image version set. */
export function composeArgv(version: string, ...args: string[]): string[] {
  return ['env', `OPENCLAW_VERSION=${version}`, '/opt/npm/bin/docker', 'compose', '-f', COMPOSE_FILE, '-p', COMPOSE_PROJECT, ...args];
}

/** Starts the gateway's container on `version` (not measured; the strategy's own steps recreate it). */
export async function composeUp(host: TestHost, version: string): Promise<void> {
  await must(host, composeArgv(version, 'up', '-d', COMPOSE_SERVICE), `compose up ${version}`);
}

/** Removes the project's containers and volume, so no cgroup is left behind by the power-off. */
export async function composeDown(host: TestHost): Promise<void> {
  await host.nsExec(composeArgv('0', 'down', '-v', '-t', '2'));
  await host.nsExec(['sh', '-c', `env ${ENV_LINE} podman rm -af -t 0`]);
}
