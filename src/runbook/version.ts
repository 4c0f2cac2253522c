/** Version parsing and update types (semver; OpenClaw uses calendar-like versions such as 2026.9.6). */
import semver from 'semver';
import type { UpdateType } from './types.js';

const VERSION_TOKEN = /\bv?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)/;

/**
 * The version in `openclaw --version` output (`OpenClaw 2026.9.5 (ec9c1a1)`), an image ref
 * (`openclaw/openclaw:2026.9.5`) or a bare version; null when there is none.
 */
export function parseVersion(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const match = VERSION_TOKEN.exec(text);
  const found = match?.[1];
  if (found === undefined) return null;
  return semver.valid(found);
}

/** What kind of change going from `from` to `to` is. */
export function updateType(from: string, to: string): UpdateType {
  const cmp = semver.compare(from, to);
  if (cmp === 0) return 'none';
  if (cmp > 0) return 'downgrade';
  if (semver.prerelease(to) !== null) return 'prerelease';
  const diff = semver.diff(from, to);
  if (diff === 'major' || diff === 'premajor') return 'major';
  if (diff === 'minor' || diff === 'preminor') return 'minor';
  return 'patch';
}

/**
 * The update type of a fleet: measured from the oldest current version (the biggest jump);
 * 'none' when every host already runs the target.
 */
export function fleetUpdateType(currentVersions: readonly string[], to: string): UpdateType {
  if (currentVersions.length === 0) return 'major';
  const oldest = [...currentVersions].sort(semver.compare)[0] as string;
  const newest = [...currentVersions].sort(semver.rcompare)[0] as string;
  if (semver.gt(newest, to)) return 'downgrade';
  return updateType(oldest, to);
}

export function compareVersions(a: string, b: string): number {
  return semver.compare(a, b);
}

export function isVersion(text: string): boolean {
  return semver.valid(text) === text;
}
