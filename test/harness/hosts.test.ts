import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { createSshShell } from '../../src/remote/ssh-shell.js';
import { netnsOfRun, processesInPidNamespace, startHosts } from './hosts.js';
import { ip } from './netns.js';

const run = promisify(execFile);

test('two hosts come up in well under a second, each a real sshd with its pinned key, own network and own /root', async () => {
  const fleet = await startHosts(2);
  const shell = createSshShell();
  try {
    console.log(`hosts: bring-up of 2 hosts took ${fleet.bringUpMs.toFixed(0)} ms`);
    // Typically 80-250 ms; the bound is loose because other suites share the two cores.
    expect(fleet.bringUpMs).toBeLessThan(3_000);
    const [a, b] = fleet.hosts as [typeof fleet.hosts[0], typeof fleet.hosts[0]];
    expect(a.address).not.toBe(b.address);
    expect(a.address).toMatch(/^198\.1[89]\.\d+\.2$/);
    for (const host of fleet.hosts) {
      // What the server really presents, read independently with OpenSSH's own tools.
      const { stdout: scanned } = await run('sh', ['-c', `ssh-keyscan -t ed25519 -p ${host.sshPort} ${host.address} 2>/dev/null | ssh-keygen -lf - -E sha256`]);
      expect(scanned.split(/\s+/)[1]).toBe(host.hostKey);
      expect(host.hostConfig({ kind: 'pm2' })).toMatchObject({ name: host.name, address: host.address, user: 'root', hostKey: host.hostKey, strategy: { kind: 'pm2' } });
    }

    const probe = await shell.run(a.target, ['sh', '-c', 'echo "$HOME"; cat ~/.npmrc; for c in node npm pm2; do command -v "$c"; done; ip -4 -o addr show scope global']);
    expect(probe.exitCode).toBe(0);
    expect(probe.stdout).toContain('prefix=/opt/npm');
    expect(probe.stdout).toMatch(/\/node\n.*\/npm\n.*\/pm2\n/s);
    expect(probe.stdout).toContain(`${a.address}/24`);
    expect(probe.stdout).not.toContain(b.address);

    // /root inside the host is the temp home dir, not the machine's /root.
    await shell.writeFile(a.target, '~/marker', 'a');
    expect(await readFile(join(a.homeDir, 'marker'), 'utf8')).toBe('a');
    expect(existsSync(join(b.homeDir, 'marker'))).toBe(false);

    // The gateway address (root side of the veth) is reachable from inside the host.
    const server = createServer((socket) => socket.end('from-root-ns\n'));
    await new Promise<void>((resolve) => server.listen(0, a.gatewayAddress, resolve));
    const port = (server.address() as { port: number }).port;
    const fetched = await shell.run(a.target, ['node', '-e', `require('net').connect(${port}, '${a.gatewayAddress}').pipe(process.stdout)`]);
    server.close();
    expect(fetched.stdout).toBe('from-root-ns\n');
  } finally {
    await shell.close();
    await fleet.stop();
  }
});

test('stop leaves no process, namespace, veth or temp dir behind, even with daemons running on the hosts', async () => {
  const fleet = await startHosts(2);
  const shell = createSshShell();
  try {
    for (const host of fleet.hosts) {
      // A daemon detached from the SSH session, as PM2 and nginx are.
      const started = await shell.run(host.target, ['sh', '-c', 'setsid sleep 1000 >/dev/null 2>&1 </dev/null & echo started']);
      expect(started.stdout).toBe('started\n');
      expect((await processesInPidNamespace(host.pidNamespace)).length).toBeGreaterThanOrEqual(2);
    }
  } finally {
    await shell.close();
    await fleet.stop();
  }
  for (const host of fleet.hosts) expect(await processesInPidNamespace(host.pidNamespace)).toEqual([]);
  expect(await netnsOfRun(fleet.runId)).toEqual([]);
  for (const host of fleet.hosts) await expect(ip(['link', 'show', host.veth])).rejects.toThrow();
  expect(existsSync(fleet.dir)).toBe(false);
});

test('kill() powers a host off: sshd and everything it started are gone at once', async () => {
  const fleet = await startHosts(1);
  const host = fleet.hosts[0] as typeof fleet.hosts[0];
  try {
    expect(host.alive).toBe(true);
    await host.kill();
    expect(host.alive).toBe(false);
    expect(await processesInPidNamespace(host.pidNamespace)).toEqual([]);
  } finally {
    await fleet.stop();
  }
});

test('a fleet left behind by a test process that died is swept by the next startHosts', async () => {
  const dead = spawn('true');
  await new Promise((resolve) => dead.once('exit', resolve));
  const netns = `clawops-${dead.pid}r0-0`;
  await ip(['netns', 'add', netns]);
  const orphan = spawn('ip', ['netns', 'exec', netns, 'sleep', '1000'], { stdio: 'ignore' });
  const orphanExited = new Promise((resolve) => orphan.once('exit', resolve));
  await new Promise((r) => setTimeout(r, 100));
  const fleet = await startHosts(0);
  await fleet.stop();
  await orphanExited;
  expect((await ip(['netns', 'list'])).split('\n').some((line) => line.startsWith(`${netns} `) || line === netns)).toBe(false);
});
