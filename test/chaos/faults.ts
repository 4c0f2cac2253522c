/**
 * The faults a chaos cell injects, each the way it happens in production: Redis stopped and
 * started again with its data, every SSH connection to a host cut from the host's side, a host's
 * network link down. (Killing the worker is test/jobs/worker-children.ts's SIGKILL to its group.)
 */
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import type { TestHost } from '../harness/hosts.js';
import { ip } from '../harness/netns.js';
import type { RedisServer } from '../harness/redis.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Stops Redis for `ms`, then starts it on the same port with what it held. The fleet's Redis runs
 * without persistence, so the stop is `SHUTDOWN SAVE` (it writes dump.rdb, which the restarted
 * server loads): a planned restart of a persisted Redis, the outage clawops must ride through.
 */
export async function redisDown(redis: RedisServer, ms: number): Promise<void> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  const started = Date.now();
  await client.call('SHUTDOWN', 'SAVE').catch(() => undefined);
  client.disconnect();
  while (await portOpen(redis.port)) await sleep(50);
  await sleep(Math.max(0, ms - (Date.now() - started)));
  await redis.restart();
}

/** Kills the host's sshd session processes (not the listener, PID 1): every connection drops at once. */
export async function sshDrop(host: TestHost): Promise<number> {
  const ps = await host.nsExec(['ps', '-e', '-o', 'pid=,ppid=,args=']);
  if (ps.exitCode !== 0) throw new Error(`ps on ${host.name}: ${ps.stderr}`);
  const sessions = ps.stdout.split('\n').map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)).flatMap((match) =>
    match && match[1] !== '1' && match[2] === '1' && /^sshd/.test(match[3] ?? '') ? [match[1] as string] : []);
  if (sessions.length > 0) await host.nsExec(['kill', '-KILL', ...sessions]);
  return sessions.length;
}

/** Takes the host's link down for `ms`: packets to and from it are dropped, nothing is reset. */
export async function netCut(host: TestHost, ms: number): Promise<void> {
  await ip(['link', 'set', host.veth, 'down']);
  try {
    await sleep(ms);
  } finally {
    await ip(['link', 'set', host.veth, 'up']);
  }
}
