import { expect, test } from 'vitest';
import { preflightVerdict, snapshotPathOf } from '../../../src/jobs/state-compatibility.js';

// Outputs captured from real openclaw 2026.9.5 / 2026.9.6 (docs/real-openclaw.md).
const onLiveDatabase = JSON.stringify({
  schema: 'openclaw.state-schema-preflight.v1', databasePath: '/root/.openclaw/state/openclaw.sqlite', targetVersion: 17, foundVersion: null,
  ownership: null, issues: [], status: 'indeterminate', requiresWrite: false,
  reason: 'SQLite preflight requires a consolidated snapshot with no sidecars; found -wal, -shm. Create a WAL-aware online backup and preflight the resulting standalone file.',
}, null, 2);
const migratedCopy = JSON.stringify({ schema: 'openclaw.state-schema-preflight.v1', databasePath: '/b/x/database.sqlite', targetVersion: 17, foundVersion: 18, ownership: null, issues: [], status: 'incompatible', requiresWrite: false }, null, 2);
const sameCopy = JSON.stringify({ schema: 'openclaw.state-schema-preflight.v1', databasePath: '/b/x/database.sqlite', targetVersion: 17, foundVersion: 17, ownership: null, issues: [], status: 'exact', requiresWrite: false }, null, 2);

test('the live database answer (indeterminate, exit 0) is unknown, never compatible', () => {
  const answer = preflightVerdict('2026.9.5', onLiveDatabase, '', 0);
  expect(answer.verdict).toBe('unknown');
  expect(answer.detail).toContain('no sidecars');
});

test('a migrated copy is incompatible, naming both schema versions', () => {
  expect(preflightVerdict('2026.9.5', migratedCopy, '', 1)).toEqual({ verdict: 'incompatible', detail: 'state schema 18, 2026.9.5 supports 17' });
});

test('an exact copy is compatible', () => {
  expect(preflightVerdict('2026.9.1', sameCopy, '', 0).verdict).toBe('compatible');
});

test('no JSON at all (a crash, an old CLI without the command) is unknown with the output tail', () => {
  const answer = preflightVerdict('2026.9.1', '', "error: unknown command 'database'", 1);
  expect(answer).toEqual({ verdict: 'unknown', detail: "no answer: error: unknown command 'database'" });
});

test('the snapshot path is read from backup sqlite create --json, after any log lines', () => {
  const stdout = `[state/db] ok\n${JSON.stringify({ ok: true, snapshotPath: '/b/clawops-state-check-u1/2026-12-04T20-53-40-689Z-d38', manifest: { database: { userVersion: 18 } } }, null, 2)}`;
  expect(snapshotPathOf(stdout)).toBe('/b/clawops-state-check-u1/2026-12-04T20-53-40-689Z-d38');
  expect(snapshotPathOf('{"ok":false}')).toBeNull();
});
