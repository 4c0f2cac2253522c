import { createHash } from 'node:crypto';

/** `SHA256:` + unpadded base64 of the SHA-256 of an SSH public key blob, exactly as `ssh-keygen -lf key.pub -E sha256` prints it. */
export function fingerprintOfKeyBlob(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The fingerprint of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
export function fingerprintOfPublicKey(line: string): string {
  const blob = line.trim().split(/\s+/)[1];
  if (blob === undefined) throw new Error('not an OpenSSH public key line');
  return fingerprintOfKeyBlob(Buffer.from(blob, 'base64'));
}
