import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { HOST_KEY_PATTERN } from '../../src/config/schema.js';
import { generateKeyPair, sshKeygenFingerprint } from '../harness/keys.js';

test('fingerprints match `ssh-keygen -lf key.pub -E sha256` and the config pattern', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'clawops-fp-'));
  try {
    for (const name of ['one', 'two', 'three']) {
      const pair = await generateKeyPair(dir, name);
      expect(pair.fingerprint).toBe(await sshKeygenFingerprint(pair.publicKeyPath));
      expect(pair.fingerprint).toMatch(HOST_KEY_PATTERN);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
