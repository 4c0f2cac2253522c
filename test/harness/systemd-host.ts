/**
 * Test hosts with a booted systemd (Debian's systemd 252): the manager is PID 1 of its own PID,
 * mount and cgroup namespaces inside the host's network namespace (`container=clawops`, a
 * cgroup2 hierarchy of its own under /sys/fs/cgroup/unified/clawops-<netns>), and sshd runs as
 * one of its units. The systemd strategy's daemon-reload, reload/restart, `systemctl show` marks
 * and `journalctl -u` only mean something against a real manager. It needs a cgroup2 hierarchy:
 * /sys/fs/cgroup/unified on a hybrid machine like this one, /sys/fs/cgroup on a unified one.
 *
 * The manager's boot units act on the whole machine, not on a container: measured here,
 * systemd-tmpfiles-setup (`--boot --remove`) emptied the machine's /tmp, and systemd-sysctl
 * writes /proc/sys. So inside a host / is read-only; /root, /opt, /run, /tmp, /var/log,
 * /var/lib/systemd, /etc/systemd/system and /dev/shm are its own; /sys and /proc/sys are
 * read-only; and the units that set up a machine are masked. `stop()` SIGKILLs PID 1: every
 * process of the host dies with it (its PID namespace ends).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, readlink, readdir, rmdir, statfs, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RemoteTarget } from '../../src/remote/types.js';
import { startAllOrNone, type TestHost } from './hosts.js';
import { generateKeyPair, type TestKeyPair } from './keys.js';
import { attachVeth, ip, removeNetns, slotSubnet, SLOT_COUNT, vethName } from './netns.js';

const execFileAsync = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CGROUP2_MAGIC = 0x63677270;
/** The host's own directories, bound over the machine's (`/tmp` last: the temp dir holding them is under it). */
const PRIVATE_DIRS = ['root', 'opt', 'run', 'var/log', 'var/lib/systemd', 'etc/systemd/system', 'tmp'] as const;
/** Boot units that would change the machine (tmpfiles empties /tmp) or fail in a container. */
const MASKED = [
  'systemd-tmpfiles-setup.service', 'systemd-tmpfiles-setup-dev.service', 'systemd-tmpfiles-clean.timer', 'systemd-sysctl.service',
  'systemd-sysusers.service', 'systemd-modules-load.service', 'systemd-binfmt.service', 'proc-sys-fs-binfmt_misc.automount',
  'systemd-machine-id-commit.service', 'systemd-firstboot.service', 'systemd-repart.service', 'kmod-static-nodes.service',
  'systemd-update-utmp.service', 'systemd-hwdb-update.service', 'systemd-remount-fs.service', 'ldconfig.service',
  'systemd-update-done.service', 'systemd-random-seed.service',
];

/** A TestHost whose processes run under a real systemd. */
export interface SystemdHost extends TestHost {
  /** The real directory behind the host's /etc/systemd/system. */
  unitDir: string;
  /** Writes `/etc/systemd/system/<name>` and runs `systemctl daemon-reload`. */
  writeUnit(name: string, text: string): Promise<void>;
  /** `systemctl <args>` inside the host; throws with its output unless it exits 0. */
  systemctl(args: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface SystemdFleet {
  runId: string;
  hosts: SystemdHost[];
  clientKey: TestKeyPair;
  dir: string;
  bringUpMs: number;
  stop(): Promise<void>;
}

let counter = 0;

/** Where the hosts' cgroups go: the machine's cgroup2 mount (systemd runs on nothing else in a container). */
async function cgroupParent(): Promise<string> {
  for (const dir of ['/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
    if ((await statfs(dir).catch(() => null))?.type === CGROUP2_MAGIC) return dir;
  }
  throw new Error('no cgroup2 hierarchy at /sys/fs/cgroup/unified or /sys/fs/cgroup: a systemd test host needs one');
}

export interface SystemdHostsOptions {
  /** Extra lines for each host's /root/.npmrc. */
  npmrc?: readonly string[];
  /** Machine directories each host sees at /run/<name> (read-write), e.g. the real suite's npm cache. */
  binds?: Readonly<Record<string, string>>;
}

/** Starts `names.length` systemd hosts in parallel (each boots in ≈ 0.3 s). */
export async function startSystemdHosts(names: readonly string[], options: SystemdHostsOptions = {}): Promise<SystemdFleet> {
  const started = performance.now();
  const cgroups = await cgroupParent();
  await removeEmptyCgroups(cgroups);
  // hosts.ts sweeps namespaces named `clawops-<pid>r<n>-<i>` once <pid> is gone: the same pattern
  // gets ours swept too; 7000+ keeps clear of its own counter in the same process.
  const runId = `${process.pid}r${7000 + counter++}`;
  const dir = await mkdtemp(join(tmpdir(), `clawops-systemd-${runId}-`));
  const clientKey = await generateKeyPair(dir, 'client_ed25519', `clawops-test-${runId}`);
  const { hosts, stop } = await startAllOrNone(dir, names.map((name, index) => startHost({ runId, index, name, dir, clientKey, cgroups, npmrc: options.npmrc ?? [], binds: options.binds ?? {} })));
  return { runId, hosts, clientKey, dir, bringUpMs: performance.now() - started, stop };
}

interface HostSpec { runId: string; index: number; name: string; dir: string; clientKey: TestKeyPair; cgroups: string; npmrc: readonly string[]; binds: Readonly<Record<string, string>> }

/** Run as the namespace's PID 1: the private mounts, then exec systemd; a mount that fails stops the boot (set -e) rather than boot over the machine's dirs. */
const BOOT_SCRIPT = [
  'set -e', 'b=$1', 'shift',
  // Extra binds (`name dir` pairs) land in the host's /run before the machine's dirs are covered.
  'while [ $# -ge 2 ]; do mkdir -p "$b/fs/run/$1"; mount --bind "$2" "$b/fs/run/$1"; shift 2; done',
  'mount -t tmpfs -o mode=1777 tmpfs /dev/shm',
  `for d in ${PRIVATE_DIRS.join(' ')}; do mount --rbind "$b/fs/$d" "/$d"; done`,
  'mount -o remount,bind,ro /',
  'mount --bind /proc/sys /proc/sys', 'mount -o remount,bind,ro /proc/sys',
  'mount -o remount,bind,ro /sys',
  'mount -t cgroup2 cgroup2 /sys/fs/cgroup',
  'exec env -i container=clawops /lib/systemd/systemd --system --unit=clawops-host.target --log-target=console --log-level=warning --show-status=false',
].join('\n');

async function startHost(spec: HostSpec): Promise<SystemdHost> {
  const base = join(spec.dir, spec.name);
  const fs = (path: string) => join(base, 'fs', path);
  await Promise.all(PRIVATE_DIRS.map((d) => mkdir(fs(d), { recursive: true, mode: d === 'tmp' ? 0o1777 : 0o755 })));
  await Promise.all([mkdir(fs('root/.ssh'), { recursive: true, mode: 0o700 }), mkdir(fs('opt/npm'), { recursive: true }), mkdir(fs('run/clawops'), { mode: 0o700 })]);
  const netns = `clawops-${spec.runId}-${spec.index}`;
  const cgroup = join(spec.cgroups, `clawops-${netns}`);
  let slot: number | undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let pid1: number | undefined;
  const kill = async () => {
    // PID 1 of a namespace takes SIGKILL only from outside it; with it the namespace ends.
    if (pid1 !== undefined) { try { process.kill(pid1, 'SIGKILL'); } catch { /* gone */ } } else if (child?.exitCode === null) child.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    await kill();
    await removeNetns(netns, slot);
    await removeCgroup(cgroup);
  };
  try {
    const hostKey = await generateKeyPair(fs('run/clawops'), 'ssh_host_ed25519_key', spec.name);
    await Promise.all([
      writeFile(fs('root/.ssh/authorized_keys'), `${spec.clientKey.publicKey}\n`, { mode: 0o600 }),
      writeFile(fs('root/.npmrc'), ['prefix=/opt/npm', 'cafile=/etc/ssl/certs/ca-certificates.crt', ...spec.npmrc, ''].join('\n')),
      writeFile(fs('run/clawops/sshd_config'), sshdConfig()),
      writeFile(fs('etc/systemd/system/clawops-host.target'), '[Unit]\nDescription=clawops test host\nWants=clawops-sshd.service systemd-journald.service\n'),
      writeFile(fs('etc/systemd/system/clawops-sshd.service'), SSHD_UNIT),
      ...MASKED.map((unit) => symlink('/dev/null', fs(`etc/systemd/system/${unit}`))),
    ]);
    await ip(['netns', 'add', netns]);
    slot = await attachVeth(netns, (process.pid * 13 + spec.index * 37 + 101) % SLOT_COUNT);
    const { address, gateway } = slotSubnet(slot);
    await mkdir(cgroup);
    const logPath = join(base, 'systemd.log');
    const log = await open(logPath, 'w');
    // The cgroup is joined before unshare, so the new cgroup namespace is rooted at it.
    child = spawn('sh', ['-c', 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', 'sh', cgroup,
      'ip', 'netns', 'exec', netns, 'unshare', '--pid', '--fork', '--mount', '--cgroup', '--propagation', 'private', '--mount-proc',
      'sh', '-c', BOOT_SCRIPT, 'boot', base, ...Object.entries(spec.binds).flat()], { stdio: ['ignore', log.fd, log.fd] });
    exited = new Promise((resolve) => child?.once('exit', resolve));
    void exited.then(() => log.close().catch(() => undefined));
    pid1 = await waitForInit(child, logPath);
    const init = pid1;
    await waitForSsh(address, child, logPath);
    const target: RemoteTarget = { name: spec.name, address, port: 22, user: 'root', privateKeyPath: spec.clientKey.privateKeyPath, hostKey: hostKey.fingerprint };
    const exec = (argv: readonly string[]) => nsExec(init, argv);
    const systemctl = async (args: readonly string[]) => {
      const result = await exec(['systemctl', ...args]);
      if (result.exitCode !== 0) throw new Error(`${spec.name}: systemctl ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}${result.stdout}`);
      return result.stdout;
    };
    const running = child;
    return {
      name: spec.name, index: spec.index, netns, veth: vethName(slot), address, gatewayAddress: gateway, sshPort: 22, user: 'root',
      privateKeyPath: spec.clientKey.privateKeyPath, hostKey: hostKey.fingerprint, homeDir: fs('root'), optDir: fs('opt'), runDir: fs('run'),
      unitDir: fs('etc/systemd/system'), logPath, target, pidNamespace: await readlink(`/proc/${init}/ns/pid`),
      hostConfig: (strategy, overrides = {}) => ({ name: spec.name, address, port: 22, user: 'root', privateKeyPath: spec.clientKey.privateKeyPath,
        hostKey: hostKey.fingerprint, strategy, ...overrides }),
      nsExec: exec, systemctl,
      async writeUnit(name, text) {
        await mkdir(dirname(fs(`etc/systemd/system/${name}`)), { recursive: true });
        await writeFile(fs(`etc/systemd/system/${name}`), text);
        await systemctl(['daemon-reload']);
      },
      kill, stop,
      get alive() { return running.exitCode === null && running.signalCode === null; },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const SSHD_UNIT = `[Unit]
Description=sshd of the clawops test host
[Service]
ExecStart=/usr/sbin/sshd -D -e -f /run/clawops/sshd_config
RuntimeDirectory=sshd
RuntimeDirectoryPreserve=yes
Restart=always
`;

function sshdConfig(): string {
  // SetEnv: sshd runs with systemd's bare environment; sessions need npm's prefix and this node.
  const path = ['/opt/npm/bin', dirname(process.execPath), join(REPO_ROOT, 'node_modules', '.bin'), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return ['Port 22', 'HostKey /run/clawops/ssh_host_ed25519_key', 'PidFile /run/sshd.pid', 'UsePAM no', 'UseDNS no', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', 'AuthorizedKeysFile .ssh/authorized_keys', 'PrintMotd no', 'PrintLastLog no',
    'MaxSessions 64', 'MaxStartups 100:30:200', 'Subsystem sftp internal-sftp', `SetEnv PATH=${path.join(':')}`, ''].join('\n');
}

async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter((word) => word !== '').map(Number);
}

/** The host pid of systemd: the process under `ip netns exec` → unshare whose command is systemd. */
async function waitForInit(child: ChildProcess, logPath: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`systemd host did not boot: ${await readFile(logPath, 'utf8').catch(() => '')}`);
    const unshare = (await childrenOf(child.pid as number))[0] ?? (child.pid as number);
    for (const pid of [child.pid as number, unshare, ...await childrenOf(unshare)]) {
      const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
      if (comm === 'systemd' && pid !== child.pid) return pid;
    }
    if (Date.now() > deadline) throw new Error(`systemd not started after 10 s: ${await readFile(logPath, 'utf8').catch(() => '')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function waitForSsh(address: string, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!await new Promise<boolean>((resolve) => {
    const socket = connect({ host: address, port: 22 });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  })) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`sshd unit on ${address} not listening: ${await readFile(logPath, 'utf8').catch(() => '')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function nsExec(pid: number, argv: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('nsenter', ['-t', String(pid), '-n', '-m', '-p', '-C', '--', ...argv], { timeout: 30_000 });
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    return { exitCode: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Removes a host's cgroup tree, deepest first; the kernel frees a dead namespace's cgroups a moment after its processes. */
async function removeCgroup(path: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await removeTree(path)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function removeTree(path: string): Promise<boolean> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => null);
  if (entries === null) return true;
  await Promise.all(entries.filter((entry) => entry.isDirectory()).map((entry) => removeTree(join(path, entry.name))));
  return rmdir(path).then(() => true, (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
}

/** Cgroups of hosts whose test process died: empty ones go (a live host's cgroup is never empty). */
async function removeEmptyCgroups(parent: string): Promise<void> {
  const names = (await readdir(parent).catch(() => [] as string[])).filter((name) => /^clawops-clawops-\d+r\d+-\d+$/.test(name));
  await Promise.all(names.map(async (name) => {
    const pid = Number(/^clawops-clawops-(\d+)r/.exec(name)?.[1]);
    if (pid !== process.pid && !pidAlive(pid)) await removeTree(join(parent, name));
  }));
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (error) { return (error as NodeJS.ErrnoException).code === 'EPERM'; }
}
