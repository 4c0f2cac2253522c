/**
 * Names the process behind a connection to the fake, for gateways that run inside a Linux
 * network namespace (`ip netns`; test hosts reach the fake on the root side of their veth,
 * without NAT, so the client's local port is the peer port the fake sees).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Peer } from './server.js';

const execFileAsync = promisify(execFile);

/**
 * `identify` for startFakeTelegram: asks `ss` inside `netns` which process owns the socket whose
 * local port is the peer's port, and answers `OPENCLAW_STATE_DIR=<dir>` from that process's
 * environment (what tells the blue gateway from the green one), else `pid <pid> <comm>`; on any
 * failure (no such namespace, socket already gone, no `ip`/`ss`) `address:port`.
 * Needs root (ip netns exec, other users' /proc/<pid>/environ).
 */
export function identifyBySocket(netns: string, options: { timeoutMs?: number } = {}): (peer: Peer) => Promise<string> {
  const timeout = options.timeoutMs ?? 5000;
  return async (peer) => {
    const fallback = `${peer.address}:${peer.port}`;
    try {
      const { stdout } = await execFileAsync('ip', ['netns', 'exec', netns, 'ss', '-tnpH', 'state', 'established', `sport = :${peer.port}`], { timeout });
      // e.g. `0 0 198.18.3.2:40358 198.18.3.1:8081 users:(("node",pid=8405,fd=20))`
      const owner = /users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+),/.exec(stdout);
      if (owner === null) return fallback;
      const [, ssName = '', pid = ''] = owner;
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
      const stateDir = environ.split('\0').find((entry) => entry.startsWith('OPENCLAW_STATE_DIR='));
      if (stateDir !== undefined) return stateDir;
      const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => ssName)).trim();
      return `pid ${pid} ${comm}`;
    } catch {
      return fallback;
    }
  };
}
