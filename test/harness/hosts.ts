/**
 * Test hosts: each one a real OpenSSH sshd in its own network, PID and mount namespaces
 * (DESIGN §5). sshd is PID 1 of its PID namespace, so `kill()` is a power-off that takes every
 * process of the host with it. /root, /opt and /run are private bind mounts of temp dirs, so
 * PM2 homes, npm prefixes (/opt/npm) and pid files never touch the real machine.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { z } from 'zod';
import type { hostSchema, strategySchema } from '../../src/config/schema.js';
import type { RemoteTarget } from '../../src/remote/types.js';
import { generateKeyPair, type TestKeyPair } from './keys.js';
import { attachVeth, ip, removeNetns, slotSubnet, SLOT_COUNT, vethName } from './netns.js';

const execFileAsync = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type HostConfigInput = z.input<typeof hostSchema>;
export type StrategyInput = z.input<typeof strategySchema>;

/** One running test host. */
export interface TestHost {
  name: string;
  index: number;
  /** `clawops-<runId>-<index>`. */
  netns: string;
  /** The root-side veth interface. */
  veth: string;
  /** The host's own address (198.18.x.2), reachable from the root namespace. */
  address: string;
  /** The root side of the host's veth (198.18.x.1), reachable from inside the host. */
  gatewayAddress: string;
  sshPort: number;
  user: 'root';
  privateKeyPath: string;
  /** `SHA256:…` of the host's ed25519 host key. */
  hostKey: string;
  /** The real directories behind the host's /root, /opt and /run (inspect them from tests). */
  homeDir: string;
  optDir: string;
  runDir: string;
  /** sshd's log (`-e`). */
  logPath: string;
  target: RemoteTarget;
  /** A host entry for a fleet config (input shape, before the schema fills defaults). */
  hostConfig(strategy: StrategyInput, overrides?: Partial<HostConfigInput>): HostConfigInput;
  /** Runs argv inside the host's namespaces directly (not over SSH), for assertions. */
  nsExec(argv: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** Identity of the host's PID namespace (`pid:[…]`), to look for leftover processes. */
  pidNamespace: string;
  /** Power off: SIGKILL to PID 1 of the host; every process of the host dies with it. */
  kill(): Promise<void>;
  readonly alive: boolean;
}

/** A set of hosts started together; `stop()` leaves no process, namespace, veth or temp dir. */
export interface TestFleet {
  runId: string;
  hosts: TestHost[];
  /** The client key every host authorizes. */
  clientKey: TestKeyPair;
  dir: string;
  bringUpMs: number;
  stop(): Promise<void>;
}

export interface StartHostsOptions {
  /** Host names; default host-a, host-b, … */
  names?: readonly string[];
  /** Extra lines for each host's /root/.npmrc (e.g. a registry on gatewayAddress). */
  npmrc?: readonly string[];
}

let fleetCounter = 0;

/** Starts `n` hosts in parallel. */
export async function startHosts(n: number, options: StartHostsOptions = {}): Promise<TestFleet> {
  const started = performance.now();
  await sweepStaleRuns();
  const runId = `${process.pid}r${fleetCounter++}`;
  const dir = await mkdtemp(join(tmpdir(), `clawops-hosts-${runId}-`));
  const clientKey = await generateKeyPair(dir, 'client_ed25519', `clawops-test-${runId}`);
  const { hosts, stop } = await startAllOrNone(dir, Array.from({ length: n }, (_, index) =>
    startHost({ runId, index, name: options.names?.[index] ?? defaultName(index), dir, clientKey, npmrc: options.npmrc ?? [] })));
  return { runId, hosts, clientKey, dir, bringUpMs: performance.now() - started, stop };
}

/** Hosts started side by side: when one fails, those that started are stopped and `dir` removed. */
export async function startAllOrNone<H extends { stop(): Promise<void> }>(dir: string, starts: ReadonlyArray<Promise<H>>): Promise<{ hosts: H[]; stop: () => Promise<void> }> {
  const results = await Promise.allSettled(starts);
  const hosts = results.flatMap((result) => result.status === 'fulfilled' ? [result.value] : []);
  const stop = async () => {
    await Promise.all(hosts.map((host) => host.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { hosts, stop };
}

function defaultName(index: number): string {
  return index < 26 ? `host-${String.fromCharCode(97 + index)}` : `host-${index}`;
}

interface HostSpec {
  runId: string;
  index: number;
  name: string;
  dir: string;
  clientKey: TestKeyPair;
  npmrc: readonly string[];
}

async function startHost(spec: HostSpec): Promise<TestHost & { stop(): Promise<void> }> {
  const base = join(spec.dir, spec.name);
  const [homeDir, optDir, runDir, etcDir] = ['root', 'opt', 'run', 'etc'].map((d) => join(base, d)) as [string, string, string, string];
  await Promise.all([mkdir(join(homeDir, '.ssh'), { recursive: true, mode: 0o700 }), mkdir(join(optDir, 'npm'), { recursive: true }),
    mkdir(join(runDir, 'sshd'), { recursive: true, mode: 0o755 }), mkdir(etcDir, { recursive: true, mode: 0o700 })]);
  const netns = `clawops-${spec.runId}-${spec.index}`;
  let slot: number | undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let pid1: number | undefined;
  const kill = async () => {
    if (pid1 !== undefined) {
      try { process.kill(pid1, 'SIGKILL'); } catch { /* already gone */ }
    } else if (child?.exitCode === null) {
      child.kill('SIGKILL');
    }
    // unshare waits for the namespace's init, and init's exit waits for every process in the
    // namespace: once unshare is gone, the whole host is.
    await exited;
  };
  const stop = async () => {
    await kill();
    await removeNetns(netns, slot);
  };
  try {
    const hostKey = await generateKeyPair(etcDir, 'ssh_host_ed25519_key', spec.name);
    await Promise.all([
      writeFile(join(homeDir, '.ssh', 'authorized_keys'), `${spec.clientKey.publicKey}\n`, { mode: 0o600 }),
      // No .bashrc/.profile on purpose: a clean home keeps each command at 2-3 ms.
      writeFile(join(homeDir, '.npmrc'), ['prefix=/opt/npm', 'cafile=/etc/ssl/certs/ca-certificates.crt', ...spec.npmrc, ''].join('\n')),
      writeFile(join(etcDir, 'sshd_config'), sshdConfig(hostKey.privateKeyPath)),
    ]);
    await ip(['netns', 'add', netns]);
    slot = await attachVeth(netns, (process.pid * 17 + spec.index * 31 + Number(spec.runId.length)) % SLOT_COUNT);
    const { address, gateway } = slotSubnet(slot);
    const logPath = join(base, 'sshd.log');
    const log = await open(logPath, 'w');
    const script = 'mount --bind "$1" /root && mount --bind "$2" /opt && mount --bind "$3" /run && exec /usr/sbin/sshd -D -e -f "$4"';
    child = spawn('ip', ['netns', 'exec', netns, 'unshare', '--pid', '--fork', '--mount', '--propagation', 'private', '--mount-proc',
      'sh', '-c', script, 'sh', homeDir, optDir, runDir, join(etcDir, 'sshd_config')], { stdio: ['ignore', log.fd, log.fd] });
    exited = new Promise((resolve) => child?.once('exit', resolve));
    void exited.then(() => log.close().catch(() => undefined));
    await waitForSshd(address, 22, child, logPath);
    pid1 = await initPid(child);
    const pidNamespace = await readlink(`/proc/${pid1}/ns/pid`);
    const target: RemoteTarget = { name: spec.name, address, port: 22, user: 'root', privateKeyPath: spec.clientKey.privateKeyPath, hostKey: hostKey.fingerprint };
    const running = child;
    return {
      name: spec.name, index: spec.index, netns, veth: vethName(slot), address, gatewayAddress: gateway, sshPort: 22, user: 'root',
      privateKeyPath: spec.clientKey.privateKeyPath, hostKey: hostKey.fingerprint, homeDir, optDir, runDir, logPath, target, pidNamespace,
      hostConfig: (strategy, overrides = {}) => ({ name: spec.name, address, port: 22, user: 'root', privateKeyPath: spec.clientKey.privateKeyPath,
        hostKey: hostKey.fingerprint, strategy, ...overrides }),
      nsExec: (argv) => nsExec(pid1 as number, argv),
      kill, stop,
      get alive() { return running.exitCode === null && running.signalCode === null; },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function sshdConfig(hostKeyPath: string): string {
  const path = ['/opt/npm/bin', dirname(process.execPath), join(REPO_ROOT, 'node_modules', '.bin'), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return [
    'Port 22',
    `HostKey ${hostKeyPath}`,
    'PidFile /run/sshd.pid',
    'UsePAM no',
    'UseDNS no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'PrintMotd no',
    'PrintLastLog no',
    // The RemoteShell multiplexes commands as channels over one connection.
    'MaxSessions 64',
    'MaxStartups 100:30:200',
    'Subsystem sftp internal-sftp',
    `SetEnv PATH=${path.join(':')}`,
    '',
  ].join('\n');
}

async function waitForSshd(host: string, port: number, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`sshd exited before listening: ${await readFile(logPath, 'utf8').catch(() => '')}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd on ${host}:${port} not listening after 10 s: ${await readFile(logPath, 'utf8').catch(() => '')}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The host pid of the namespace's PID 1 (sshd): the only child of unshare. */
async function initPid(child: ChildProcess): Promise<number> {
  const children = (await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')).trim().split(/\s+/);
  const pid = Number(children[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error('could not find the host init process');
  return pid;
}

async function nsExec(pid: number, argv: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('nsenter', ['-t', String(pid), '-n', '-m', '-p', '--', ...argv]);
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    return { exitCode: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Processes (host pids) still living in the given PID namespace, read from /proc. */
export async function processesInPidNamespace(pidNamespace: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const found: number[] = [];
  await Promise.all(pids.map(async (pid) => {
    const ns = await readlink(`/proc/${pid}/ns/pid`).catch(() => undefined);
    if (ns === pidNamespace) found.push(Number(pid));
  }));
  return found;
}

/** Names of network namespaces of a run that still exist. */
export async function netnsOfRun(runId: string): Promise<string[]> {
  return (await ip(['netns', 'list'])).split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.startsWith(`clawops-${runId}-`));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Cleans up after test processes that died without stopping their fleet (a killed worker):
 * their namespaces are named `clawops-<pid>r<n>-<i>`; once that pid is gone, the host's
 * processes are killed and the namespace deleted, which also destroys its veth pair.
 */
async function sweepStaleRuns(): Promise<void> {
  const stale = (await ip(['netns', 'list'])).split('\n').map((line) => line.split(' ')[0] ?? '')
    .filter((name) => { const pid = /^clawops-(\d+)r\d+-\d+$/.exec(name)?.[1]; return pid !== undefined && !pidAlive(Number(pid)); });
  await Promise.all(stale.map(async (netns) => {
    const pids = (await ip(['netns', 'pids', netns]).catch(() => '')).split('\n').filter((pid) => pid !== '');
    for (const pid of pids) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
    }
    await ip(['netns', 'del', netns]).catch(() => undefined);
  }));
}
