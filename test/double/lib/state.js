// The state directory: openclaw.json, the "database" (a JSON stand-in for OpenClaw's SQLite at
// state/openclaw.sqlite holding the schema version the real one keeps in user_version) and the
// gateway lock the real CLI keeps under tmp/openclaw-<uid>/.
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const SCHEMA_DOCS_URL = 'https://docs.openclaw.ai/reference/database-schemas';

export function resolveStateDir(env = process.env) {
  const override = env.OPENCLAW_STATE_DIR?.trim();
  if (override) return resolve(override.startsWith('~/') ? join(homedir(), override.slice(2)) : override);
  return join(homedir(), '.openclaw');
}

export function configPath(stateDir, env = process.env) {
  return env.OPENCLAW_CONFIG_PATH?.trim() ? resolve(env.OPENCLAW_CONFIG_PATH.trim()) : join(stateDir, 'openclaw.json');
}

export function databasePath(stateDir) {
  return join(stateDir, 'state', 'openclaw.sqlite');
}

export function shortenHome(path) {
  const home = homedir();
  return path === home || path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

function writeAtomic(path, text) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Reads openclaw.json (JSON5 in the real CLI; comments and trailing commas tolerated here). */
export function readConfig(path) {
  if (!existsSync(path)) return { exists: false, valid: true, config: {} };
  const raw = readFileSync(path, 'utf8');
  try {
    const stripped = raw.replace(/^\s*\/\/.*$/gm, '').replace(/,(\s*[}\]])/g, '$1');
    return { exists: true, valid: true, config: stripped.trim() ? JSON.parse(stripped) : {} };
  } catch (error) {
    return { exists: true, valid: false, error: error.message, config: {} };
  }
}

export function ensureState(stateDir, cfgPath) {
  mkdirSync(join(stateDir, 'state'), { recursive: true, mode: 0o700 });
  if (!existsSync(cfgPath)) writeAtomic(cfgPath, `${JSON.stringify({ gateway: { mode: 'local' } }, null, 2)}\n`);
}

/** { exists, version, appVersion } or { exists, error } when the file is unreadable. */
export function readDatabase(path) {
  if (!existsSync(path)) return { exists: false, version: null };
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    if (!Number.isSafeInteger(doc.userVersion) || doc.userVersion < 0) throw new Error(`OpenClaw state database ${path} has invalid schema version metadata.`);
    return { exists: true, version: doc.userVersion, appVersion: doc.appVersion, doc };
  } catch (error) {
    return { exists: true, version: null, error: error.message.startsWith('OpenClaw') ? error.message : `file is not a database: ${path}` };
  }
}

export function writeDatabase(path, version, appVersion, previous = {}) {
  const doc = { ...previous, format: 'openclaw-double-state', userVersion: version, appVersion, updatedAt: new Date().toISOString() };
  writeAtomic(path, `${JSON.stringify(doc, null, 2)}\n`);
}

/** Keeps a copy of the database before a startup migration, like the real gateway. */
export function backupBeforeMigration(path) {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const backup = `${path}.pre-startup-migration-${stamp}.bak`;
  copyFileSync(path, backup);
  return backup;
}

export function lockPath(stateDir) {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  return join(stateDir, 'tmp', uid === undefined ? 'openclaw' : `openclaw-${uid}`, 'gateway.state.lock');
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  // A zombie still answers kill -0 (DESIGN §5): look at its state.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export function readLock(stateDir) {
  try {
    const payload = JSON.parse(readFileSync(lockPath(stateDir), 'utf8'));
    return Number.isInteger(payload.pid) && payload.pid !== process.pid && processAlive(payload.pid) ? payload : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the state lock, or returns the live owner's payload. Stale locks are reclaimed. */
export function acquireLock(stateDir, payload) {
  const path = lockPath(stateDir);
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${JSON.stringify({ pid: process.pid, ...payload })}\n`);
      closeSync(fd);
      return { acquired: true, release: () => { try { unlinkSync(path); } catch { /* gone */ } } };
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const owner = readLock(stateDir);
      if (owner) return { acquired: false, owner };
      try { unlinkSync(path); } catch { /* raced */ }
    }
  }
  return { acquired: false, owner: { pid: 0 } };
}

/** The SQLite sidecars a live database has next to it (the real gateway keeps WAL mode open). */
export function sidecarsOf(path) {
  return ['-wal', '-shm'].filter((suffix) => existsSync(`${path}${suffix}`));
}

/** While a gateway runs, its database has -wal/-shm sidecars, as with the real WAL-mode SQLite. */
export function openSidecars(path) {
  for (const suffix of ['-wal', '-shm']) writeFileSync(`${path}${suffix}`, '');
  return () => {
    for (const suffix of ['-wal', '-shm']) {
      try { unlinkSync(`${path}${suffix}`); } catch { /* gone */ }
    }
  };
}
