import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fingerprintOfPublicKey } from '../../src/remote/fingerprint.js';

const run = promisify(execFile);

/** An ed25519 key pair made by ssh-keygen for one test run. */
export interface TestKeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  /** The `ssh-ed25519 AAAA… comment` line. */
  publicKey: string;
  /** `SHA256:…`, as ssh-keygen prints it. */
  fingerprint: string;
}

/** Generates `<dir>/<name>` and `<name>.pub` (no passphrase). */
export async function generateKeyPair(dir: string, name: string, comment = name): Promise<TestKeyPair> {
  const privateKeyPath = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privateKeyPath]);
  const publicKey = (await readFile(`${privateKeyPath}.pub`, 'utf8')).trim();
  return { privateKeyPath, publicKeyPath: `${privateKeyPath}.pub`, publicKey, fingerprint: fingerprintOfPublicKey(publicKey) };
}

/** What `ssh-keygen -lf key.pub -E sha256` reports (the reference the pinned format must match). */
export async function sshKeygenFingerprint(publicKeyPath: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-lf', publicKeyPath, '-E', 'sha256']);
  const fingerprint = stdout.split(/\s+/)[1];
  if (fingerprint === undefined) throw new Error(`ssh-keygen printed no fingerprint for ${publicKeyPath}`);
  return fingerprint;
}
