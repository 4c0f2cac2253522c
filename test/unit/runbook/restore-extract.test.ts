/**
 * The restore step a crash may interrupt: OpenClaw restores only into an empty dir, so each attempt
 * extracts into a fresh dir and only a complete one becomes `<restoreDir>/done`. Run here as the
 * host runs it (`node -e`), with a stand-in for `openclaw backup restore F --target {targetDir}`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { RESTORE_EXTRACT_JS } from '../../../src/runbook/steps.js';

const run = promisify(execFile);
let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'clawops-restore-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

/** `sh -c SCRIPT sh {targetDir}`: what the profile's restore argv looks like to the script. */
function restoreArgv(script: string): string {
  return JSON.stringify(['sh', '-c', script, 'sh', '{targetDir}']);
}

async function extract(restoreDir: string, script: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['-e', RESTORE_EXTRACT_JS, restoreDir, restoreArgv(script)]);
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
}

test('a complete extract becomes <dir>/done; running it again only says so', async () => {
  const restoreDir = join(dir, 'state.restore-r1');
  const write = 'test -z "$(ls -A "$1")" || { echo "target directory must be empty" >&2; exit 1; }; mkdir -p "$1/payload" && echo state > "$1/payload/db"';
  expect(await extract(restoreDir, write)).toMatchObject({ code: 0, out: expect.stringContaining(`extracted into ${restoreDir}/done`) });
  expect(await readFile(join(restoreDir, 'done', 'payload', 'db'), 'utf8')).toBe('state\n');
  expect(await extract(restoreDir, 'echo ran again > "$1/again"')).toMatchObject({ code: 0, out: `already extracted into ${restoreDir}/done\n` });
  expect(await readdir(restoreDir)).toEqual(['done']);
});

test('an attempt cut short leaves no done; the next attempt starts in an empty dir and completes', async () => {
  const restoreDir = join(dir, 'state.restore-r2');
  const cut = await extract(restoreDir, 'mkdir -p "$1/payload" && echo half > "$1/payload/db"; exit 9');
  expect(cut.code).toBe(9);
  expect(cut.out).toContain('failed (exit 9)');
  expect(existsSync(join(restoreDir, 'done'))).toBe(false);
  // OpenClaw refuses a target that is not empty: the retry gets a fresh one.
  const retry = await extract(restoreDir, 'test -z "$(ls -A "$1")" || exit 1; mkdir -p "$1/payload" && echo whole > "$1/payload/db"');
  expect(retry.code).toBe(0);
  expect(await readFile(join(restoreDir, 'done', 'payload', 'db'), 'utf8')).toBe('whole\n');
  // The half attempt is kept for inspection, never deleted.
  const left = await readdir(restoreDir);
  expect(left).toHaveLength(2);
  expect(left).toContain('done');
  expect(left.find((name) => name !== 'done')).toMatch(/^attempt-/);
});
