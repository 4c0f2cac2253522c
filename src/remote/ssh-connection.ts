/**
 * One pinned, reused SSH connection per target. Connecting is the only place ssh2 errors enter
 * clawops, so they are translated here into ClawopsErrors a person in the chat can act on.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { NodeSSH } from 'node-ssh';
import type { Client } from 'ssh2';
import { ClawopsError } from '../errors.js';
import { fingerprintOfKeyBlob } from './fingerprint.js';
import type { RemoteTarget } from './types.js';

/** The subset of a pino logger src/remote writes to. Never receives key material or env values. */
export interface RemoteLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface ConnectSettings {
  connectTimeoutMs: number;
  keepaliveMs: number;
  logger?: RemoteLogger | undefined;
}

/** A live ssh2 client plus what we learned while connecting. */
export interface SshConnection {
  key: string;
  client: Client;
  /** The fingerprint the server presented (and that matched the pin). */
  hostKey: string;
  closed: boolean;
  /** Channels currently open, and callers waiting for one (servers cap sessions per connection). */
  openChannels: number;
  waiting: Array<() => void>;
}

export function connectionKey(target: RemoteTarget): string {
  // The key path is part of the identity: the same account reached with another key is another login.
  return `${target.user}@${target.address}:${target.port}#${target.privateKeyPath}`;
}

export function describeTarget(target: RemoteTarget): string {
  return `${target.name} (${target.user}@${target.address}:${target.port})`;
}

export function hostKeyMismatch(target: RemoteTarget, presented: string): ClawopsError {
  return new ClawopsError('HOST_KEY_MISMATCH',
    `host key mismatch for ${describeTarget(target)}: expected ${target.hostKey}, the server presented ${presented}. ` +
    'Refusing to connect. If the host was reinstalled, verify the new key and update hostKey in the fleet config.',
    { host: target.name, address: target.address, port: target.port, expected: target.hostKey, presented });
}

/** A leading `~/` in a *local* key path means this process's home. */
export function localPath(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}/${path.slice(2)}` : path;
}

export async function openConnection(target: RemoteTarget, settings: ConnectSettings): Promise<SshConnection> {
  const key = connectionKey(target);
  const keyPath = localPath(target.privateKeyPath);
  let privateKey: string;
  try {
    privateKey = await readFile(keyPath, 'utf8');
  } catch (error) {
    throw new ClawopsError('SSH_CONNECT_FAILED', `cannot read the SSH private key ${keyPath} for ${describeTarget(target)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { host: target.name, keyPath }, { cause: error });
  }
  let presented: string | undefined;
  const ssh = new NodeSSH();
  const started = performance.now();
  try {
    await ssh.connect({
      host: target.address,
      port: target.port,
      username: target.user,
      privateKey,
      readyTimeout: settings.connectTimeoutMs,
      keepaliveInterval: settings.keepaliveMs,
      keepaliveCountMax: 3,
      tryKeyboard: false,
      hostVerifier: (blob: Buffer) => {
        presented = fingerprintOfKeyBlob(blob);
        return presented === target.hostKey;
      },
    });
  } catch (error) {
    ssh.dispose();
    if (presented !== undefined && presented !== target.hostKey) throw hostKeyMismatch(target, presented);
    throw translateConnectError(error, target, keyPath);
  }
  const client = ssh.connection;
  if (client === null || presented === undefined) throw new ClawopsError('SSH_CONNECT_FAILED', `connection to ${describeTarget(target)} closed during the handshake`, { host: target.name });
  // Nagle's algorithm holds each small request for an ACK: 40 ms per command instead of 2-3 ms (DESIGN §5).
  client.setNoDelay(true);
  const connection: SshConnection = { key, client, hostKey: presented, closed: false, openChannels: 0, waiting: [] };
  const markClosed = (reason: string) => {
    if (connection.closed) return;
    connection.closed = true;
    settings.logger?.debug({ host: target.name, connection: key, reason }, 'ssh connection closed');
    // Wake callers queued for a channel so they notice the connection is gone.
    for (const wake of connection.waiting.splice(0)) wake();
  };
  client.on('error', (error: Error) => markClosed(error.message));
  client.on('end', () => markClosed('end'));
  client.on('close', () => markClosed('close'));
  settings.logger?.debug({ host: target.name, connection: key, ms: Math.round(performance.now() - started) }, 'ssh connected');
  return connection;
}

function translateConnectError(error: unknown, target: RemoteTarget, keyPath: string): ClawopsError {
  const err = error as Error & { level?: string; code?: string };
  const details = { host: target.name, address: target.address, port: target.port, user: target.user, keyPath, reason: err.message };
  switch (err.level) {
    case 'client-authentication':
      return new ClawopsError('SSH_CONNECT_FAILED', `SSH login as ${target.user} on ${describeTarget(target)} was refused with the key ${keyPath}: check that its public key is in authorized_keys`, details, { cause: error });
    case 'client-timeout':
      return new ClawopsError('SSH_CONNECT_FAILED', `connecting to ${describeTarget(target)} timed out: ${err.message}`, details, { cause: error });
    case 'client-socket':
    case 'client-dns':
      return new ClawopsError('SSH_CONNECT_FAILED', `cannot reach ${describeTarget(target)}: ${err.code ?? err.message}`, details, { cause: error });
    default:
      if (err.message === 'No response from server') {
        return new ClawopsError('SSH_CONNECT_FAILED', `${describeTarget(target)} closed the connection before login completed (host going down or sshd restarting?)`, details, { cause: error });
      }
      if (/privateKey|parse/i.test(err.message ?? '')) {
        return new ClawopsError('SSH_CONNECT_FAILED', `the SSH key ${keyPath} for ${describeTarget(target)} cannot be used: ${err.message}`, details, { cause: error });
      }
      return new ClawopsError('SSH_CONNECT_FAILED', `SSH connection to ${describeTarget(target)} failed: ${err.message}`, details, { cause: error });
  }
}

/** Waits for a free channel slot on the connection (or for it to close, or the signal). */
export async function acquireChannel(connection: SshConnection, maxChannels: number, signal: AbortSignal | undefined): Promise<void> {
  while (!connection.closed && connection.openChannels >= maxChannels) {
    if (signal?.aborted) throw new ClawopsError('ABORTED', 'cancelled while waiting for a free SSH channel');
    await new Promise<void>((resolve) => {
      const wake = () => { signal?.removeEventListener('abort', onAbort); resolve(); };
      const onAbort = () => {
        const index = connection.waiting.indexOf(wake);
        if (index >= 0) connection.waiting.splice(index, 1);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      connection.waiting.push(wake);
    });
  }
  connection.openChannels++;
}

export function releaseChannel(connection: SshConnection): void {
  connection.openChannels--;
  connection.waiting.shift()?.();
}
