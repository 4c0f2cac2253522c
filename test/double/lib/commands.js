// `update status`, `doctor` and `database preflight`, in the real CLI's output shapes.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compareVersions, describeBuild } from './build.js';
import {
  backupBeforeMigration, configPath, databasePath, readConfig, readDatabase, readLock, resolveStateDir, SCHEMA_DOCS_URL, shortenHome, sidecarsOf, writeDatabase,
} from './state.js';

/** The registry's `latest`, asked the way the real CLI asks: through npm itself. */
function registryLatest(timeoutMs) {
  if (process.env.OPENCLAW_DOUBLE_LATEST_VERSION) return Promise.resolve({ latestVersion: process.env.OPENCLAW_DOUBLE_LATEST_VERSION });
  return new Promise((done) => {
    execFile('npm', ['view', 'openclaw@latest', 'version', '--json'], { timeout: timeoutMs }, (error, stdout) => {
      if (error) return done({ latestVersion: null, error: error.killed ? `timeout after ${timeoutMs}ms` : (error.message.split('\n')[0] ?? 'npm view failed') });
      try {
        const parsed = JSON.parse(stdout);
        done({ latestVersion: Array.isArray(parsed) ? String(parsed.at(-1)) : String(parsed) });
      } catch {
        done({ latestVersion: null, error: `unexpected npm output: ${stdout.trim().slice(0, 200)}` });
      }
    });
  });
}

export async function updateStatus(opts, build) {
  const registry = await registryLatest(Number(opts.timeout ?? 3500));
  const cmp = registry.latestVersion ? compareVersions(build.version, registry.latestVersion) : null;
  const hasRegistryUpdate = cmp !== null && cmp < 0;
  const update = {
    root: build.root, installKind: 'package', packageManager: 'npm',
    deps: { manager: 'npm', status: 'unknown', lockfilePath: null, markerPath: null, reason: 'lockfile missing' },
    registry,
  };
  const availability = { available: hasRegistryUpdate, hasGitUpdate: false, hasRegistryUpdate, latestVersion: hasRegistryUpdate ? registry.latestVersion : null, gitBehind: null };
  const channel = { value: 'stable', source: 'default', label: 'stable (default)', config: null };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ update, channel, availability }, null, 2)}\n`);
    return;
  }
  const line = registry.latestVersion
    ? cmp === 0 ? `npm · up to date · npm latest ${registry.latestVersion}` : hasRegistryUpdate ? `npm · npm update ${registry.latestVersion}` : `npm · npm latest ${registry.latestVersion} (local newer)`
    : 'npm · npm latest unknown';
  process.stdout.write(`OpenClaw update status\n\nInstall  npm\nChannel  stable (default)\nUpdate   ${hasRegistryUpdate ? `available · ${line}` : line}\n`);
}

export function databasePreflight(path, opts, build) {
  const resolvedPath = resolve(path);
  const base = { schema: 'openclaw.state-schema-preflight.v1', databasePath: resolvedPath, targetVersion: build.schema };
  // Like the real CLI: only a consolidated copy can be judged; a live WAL database is
  // "indeterminate" (and that answer exits 0, measured on 2026.9.5).
  const sidecars = existsSync(resolvedPath) ? sidecarsOf(resolvedPath) : [];
  const db = sidecars.length > 0
    ? { error: `SQLite preflight requires a consolidated snapshot with no sidecars; found ${sidecars.join(', ')}. Create a WAL-aware online backup and preflight the resulting standalone file.`, version: null, sidecars: true }
    : existsSync(resolvedPath) ? readDatabase(resolvedPath) : { error: `ENOENT: no such file or directory, realpath '${resolvedPath}'`, version: null };
  let status;
  if (db.error) status = 'indeterminate';
  else if (db.version > build.schema) status = 'incompatible';
  else if (db.version < build.schema) status = 'migration-required';
  else status = 'exact';
  const result = { ...base, foundVersion: db.version, ownership: null, issues: [], status, requiresWrite: status === 'migration-required', ...(db.error ? { reason: db.error } : {}) };
  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`Database preflight: ${status} (found ${db.version ?? 'unknown'}, target ${build.schema}).${db.error ? `\n${db.error}` : ''}\nSee ${SCHEMA_DOCS_URL}.\n`);
  if (status === 'incompatible' || (status === 'indeterminate' && !db.sidecars)) process.exitCode = 1;
}

/**
 * `backup sqlite create --global --repository D [--json]`: a consolidated copy of the shared state
 * database in `D/<snapshot id>/database.sqlite` with a manifest, as the real CLI makes it.
 */
export function backupSqliteCreate(opts, build) {
  if (!opts.global) {
    process.stderr.write('error: choose exactly one source: --global or --agent <id>\n');
    process.exit(1);
  }
  const dbPath = databasePath(resolveStateDir());
  const db = readDatabase(dbPath);
  if (!db.exists || db.error) {
    process.stderr.write(`[openclaw] Reason: SQLite database cannot be snapshotted safely: ${dbPath}. ${db.error ?? 'it does not exist'}\n`);
    process.exit(1);
  }
  if (db.version > build.schema) {
    process.stderr.write(`[openclaw] Reason: SQLite database cannot be snapshotted safely: ${dbPath}. OpenClaw state database ${dbPath} uses newer schema version ${db.version}; this build supports ${build.schema}.\n`);
    process.exit(1);
  }
  const createdAt = new Date().toISOString();
  const snapshotId = `${createdAt.replace(/[:.]/g, '-')}-${randomUUID()}`;
  const snapshotPath = join(resolve(opts.repository), snapshotId);
  mkdirSync(snapshotPath, { recursive: true, mode: 0o700 });
  const data = readFileSync(dbPath);
  writeFileSync(join(snapshotPath, 'database.sqlite'), data, { mode: 0o600 });
  const manifest = {
    schemaVersion: 1, snapshotId, createdAt,
    database: { role: 'global', basename: 'openclaw.sqlite', userVersion: db.version },
    artifact: { path: 'database.sqlite', sha256: createHash('sha256').update(data).digest('hex'), sizeBytes: data.length },
  };
  writeFileSync(join(snapshotPath, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  const result = { ok: true, snapshotPath, manifest };
  process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `Snapshot ${snapshotId} written to ${snapshotPath}\n`);
}

/** `doctor --non-interactive [--fix]`: a clack-style report; non-zero when the state is broken. */
export function doctor(opts, build) {
  const stateDir = resolveStateDir();
  const cfgPath = configPath(stateDir);
  const lines = ['┌  OpenClaw doctor', '│'];
  const problems = [];
  const note = (title, body) => lines.push(`◇  ${title}`, ...body.map((text) => `│  ${text}`), '│');
  if (!existsSync(stateDir)) problems.push(`State directory ${shortenHome(stateDir)} does not exist. Run openclaw setup or start the Gateway once.`);
  const cfg = readConfig(cfgPath);
  if (!cfg.valid) problems.push(`Config ${shortenHome(cfgPath)} is invalid: ${cfg.error}`);
  else note('Config', [cfg.exists ? `${shortenHome(cfgPath)} ok` : `${shortenHome(cfgPath)} missing (defaults apply)`]);
  const dbPath = databasePath(stateDir);
  const db = readDatabase(dbPath);
  if (db.error) problems.push(`State database ${shortenHome(dbPath)}: ${db.error}`);
  else if (db.version !== null && db.version > build.schema) {
    problems.push(`Doctor refused to continue because 1 OpenClaw database schema(s) are newer than this build. Refused by ${describeBuild(build)}. state database ${dbPath} uses schema ${db.version}; this build supports ${build.schema}${db.appVersion ? `; writer build ${db.appVersion}` : ''}. Run Doctor with the OpenClaw install that wrote this state (typically the active Gateway install), or another build that supports these schemas. See ${SCHEMA_DOCS_URL}.`);
  } else if (db.version !== null && db.version < build.schema) {
    if (opts.fix) {
      const backup = backupBeforeMigration(dbPath);
      writeDatabase(dbPath, build.schema, build.version, db.doc);
      note('State database', [`migrated schema ${db.version} -> ${build.schema} (backup: ${shortenHome(backup)})`]);
    } else {
      note('State database', [`schema ${db.version} needs migration to ${build.schema}; the Gateway migrates on startup (or run openclaw doctor --fix).`]);
    }
  } else {
    note('State database', [db.version === null ? 'not created yet (the Gateway creates it on first start)' : `schema ${db.version} (current)`]);
  }
  const owner = readLock(stateDir);
  note('Gateway', [owner ? `running (pid ${owner.pid}${owner.port ? `, port ${owner.port}` : ''})` : 'not running']);
  if (opts.postUpgrade) note('Post-upgrade', [`running ${build.version}`]);
  for (const problem of problems) lines.push('▲  Problem', `│  ${problem}`, '│');
  lines.push(problems.length === 0 ? '└  Doctor complete.' : `└  Doctor found ${problems.length} problem${problems.length === 1 ? '' : 's'}.`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (problems.length > 0) process.exitCode = 1;
}
