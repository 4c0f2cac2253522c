// What this build of the double is: version, commit, supported schema and behaviour switches.
// The harness stamps package.json (and optionally double.json) at pack time; everything else
// derives from the version number, so a fleet can install a "bad" build by number alone.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Schema per version line: 1.2 -> 1, 1.3 -> 2, …; 2026.9.1-9.5 -> 15, 2026.9.6+ -> 16. */
export function schemaForVersion(version) {
  const [core] = version.split('-');
  const [major = 0, minor = 0, patch = 0] = core.split('.').map(Number);
  if (major >= 2000) {
    if (major === 2026 && minor === 9) return patch >= 6 ? 16 : 15;
    return major * 100 + minor > 202609 ? 16 : 15;
  }
  return Math.max(1, minor - 1 + (major - 1) * 100);
}

export function commitForVersion(version) {
  return createHash('sha1').update(`openclaw-double-${version}`).digest('hex').slice(0, 7);
}

export function loadBuild() {
  const pkg = readJson(join(PACKAGE_ROOT, 'package.json')) ?? {};
  const extra = readJson(join(PACKAGE_ROOT, 'double.json')) ?? {};
  const version = String(pkg.version ?? '0.0.0');
  const tag = version.includes('-') ? version.slice(version.indexOf('-') + 1) : '';
  return {
    version,
    commit: extra.commit ?? commitForVersion(version),
    schema: extra.schema ?? schemaForVersion(version),
    neverReady: extra.neverReady ?? /neverready/i.test(tag),
    migrationFails: extra.migrationFails ?? /migrationfail/i.test(tag),
    startupDelayMs: extra.startupDelayMs,
    root: PACKAGE_ROOT,
  };
}

/** Reads the version from package.json on disk now (it changes when npm installs over us). */
export function versionOnDisk() {
  return readJson(join(PACKAGE_ROOT, 'package.json'))?.version;
}

export function describeBuild(build) {
  return `OpenClaw ${build.version} (${build.commit}) installed at ${build.root}`;
}

/** Numeric semver compare; a prerelease sorts before its release. */
export function compareVersions(a, b) {
  const [ca, pa = ''] = splitVersion(a);
  const [cb, pb = ''] = splitVersion(b);
  for (let i = 0; i < 3; i++) {
    const d = (ca[i] ?? 0) - (cb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (pa === pb) return 0;
  if (!pa) return 1;
  if (!pb) return -1;
  return pa < pb ? -1 : 1;
}

function splitVersion(version) {
  const index = version.indexOf('-');
  const core = index === -1 ? version : version.slice(0, index);
  return [core.split('.').map(Number), index === -1 ? '' : version.slice(index + 1)];
}
