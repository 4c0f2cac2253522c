// `backup create|verify|restore` with the real CLI's archive layout and output:
// <archiveRoot>/manifest.json and <archiveRoot>/payload/posix/<absolute source path>/…
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { createTarGz, readTarGz } from './tar.js';
import { configPath, databasePath, readDatabase, resolveStateDir, shortenHome } from './state.js';

// SQLite sidecars: the real archive is WAL-aware and stores one consolidated database.
const VOLATILE = [/^tmp(\/|$)/, /\.pid$/, /\.sock$/, /\.tmp$/, /(^|\/)logs\//, /\.sqlite-(wal|shm)$/];

export const RESTORE_WARNINGS = [
  'Restoring an archive is time travel: every restored state surface rolls back to the archive timestamp.',
  'Messaging-channel credentials with ratchet state, especially WhatsApp, may desynchronize after rollback and require relinking.',
  'Approvals and delivery/dedupe state also roll back; review pending approvals before resuming the Gateway.',
  'Plugin node_modules are not archived; after activation, run `openclaw plugins update <id>` or reinstall with `openclaw plugins install <spec> --force`.',
  'Generated plugin-skills links are not archived; after activation, run `openclaw skills list` or start an agent session to rebuild them.',
];

function pad(n, w = 2) {
  return String(n).padStart(w, '0');
}

/** `2026-03-09T08-00-00.000+08-00`, local time with offset, like the real archive names. */
function archiveTimestamp(nowMs) {
  const offset = -new Date(nowMs).getTimezoneOffset();
  const d = new Date(nowMs + offset * 60_000);
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}-${pad(abs % 60)}`;
}

function archivePathFor(root, sourcePath) {
  return posix.join(root, 'payload', 'posix', sourcePath.replace(/^\/+/, ''));
}

function within(child, parent) {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

function canonical(path) {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function walk(dir, base, out, skipped) {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    const rel = relative(base, full);
    const stat = lstatSync(full);
    if (VOLATILE.some((pattern) => pattern.test(rel))) {
      skipped.count++;
      continue;
    }
    if (stat.isDirectory()) {
      out.push({ full, rel, type: 'dir', mode: stat.mode & 0o7777, mtimeMs: stat.mtimeMs });
      walk(full, base, out, skipped);
    } else if (stat.isFile()) {
      out.push({ full, rel, type: 'file', mode: stat.mode & 0o7777, mtimeMs: stat.mtimeMs });
    } else {
      skipped.count++;
    }
  }
}

export function backupCreate(opts, build) {
  const nowMs = Date.now();
  const archiveRoot = `${archiveTimestamp(nowMs)}-openclaw-backup`;
  const stateDir = canonical(resolveStateDir());
  const cfg = canonical(configPath(stateDir));
  const assets = [];
  const skipped = [];
  if (existsSync(stateDir)) assets.push({ kind: 'state', sourcePath: stateDir, displayPath: shortenHome(stateDir), archivePath: archivePathFor(archiveRoot, stateDir) });
  if (existsSync(cfg)) {
    if (within(cfg, stateDir)) skipped.push({ kind: 'config', sourcePath: cfg, displayPath: shortenHome(cfg), reason: 'covered', coveredBy: shortenHome(stateDir) });
    else assets.push({ kind: 'config', sourcePath: cfg, displayPath: shortenHome(cfg), archivePath: archivePathFor(archiveRoot, cfg) });
  }
  if (assets.length === 0) throw new Error('No local OpenClaw state was found to back up.');
  const basename = `${archiveRoot}.tar.gz`;
  const raw = opts.output?.trim();
  let outputPath;
  if (!raw) outputPath = resolve(process.cwd(), basename);
  else if (raw.endsWith('/')) outputPath = join(resolve(raw), basename);
  else outputPath = existsSync(raw) && statSync(raw).isDirectory() ? join(resolve(raw), basename) : resolve(raw);
  const overlapping = assets.find((asset) => within(canonical(outputPath), asset.sourcePath));
  if (overlapping) throw new Error(`Backup output must not be written inside a source path: ${outputPath} is inside ${overlapping.sourcePath}`);
  if (existsSync(outputPath)) throw new Error(`Backup output already exists: ${outputPath}. Choose a new path or remove the existing archive.`);
  const createdAt = new Date(nowMs).toISOString();
  const result = {
    createdAt, archiveRoot, archivePath: outputPath, dryRun: Boolean(opts.dryRun), includeWorkspace: true, onlyConfig: false,
    verified: false, assets, agentRoots: [], skipped, skippedVolatileCount: 0,
  };
  if (opts.dryRun) return result;
  const entries = [];
  const volatile = { count: 0 };
  for (const asset of assets) {
    if (asset.kind === 'state') {
      entries.push({ path: asset.archivePath, type: 'dir', mode: 0o700 });
      const files = [];
      walk(asset.sourcePath, asset.sourcePath, files, volatile);
      for (const file of files) {
        entries.push({ path: posix.join(asset.archivePath, file.rel), type: file.type, mode: file.mode, mtimeMs: file.mtimeMs,
          data: file.type === 'file' ? readFileSync(file.full) : undefined });
      }
    } else {
      entries.push({ path: asset.archivePath, type: 'file', mode: 0o600, data: readFileSync(asset.sourcePath) });
    }
  }
  const manifest = {
    schemaVersion: 1, createdAt, archiveRoot, runtimeVersion: build.version, platform: process.platform, nodeVersion: process.version,
    options: { includeWorkspace: true, onlyConfig: false },
    paths: { stateDir, configPath: cfg, oauthDir: join(stateDir, 'credentials'), workspaceDirs: [], agentRoots: [] },
    assets: assets.map(({ kind, sourcePath, archivePath }) => ({ kind, sourcePath, archivePath })),
    skipped: skipped.map(({ kind, sourcePath, reason, coveredBy }) => ({ kind, sourcePath, reason, coveredBy })),
  };
  entries.unshift({ path: posix.join(archiveRoot, 'manifest.json'), type: 'file', mode: 0o600, data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) });
  mkdirSync(dirname(outputPath), { recursive: true });
  writeFileSync(outputPath, createTarGz(entries), { flag: 'wx', mode: 0o600 });
  result.skippedVolatileCount = volatile.count;
  if (opts.verify) {
    backupVerify(outputPath);
    result.verified = true;
  }
  return result;
}

export function formatCreate(result) {
  const lines = [`Backup archive: ${result.archivePath}`, `Included ${result.assets.length} path${result.assets.length === 1 ? '' : 's'}:`];
  for (const asset of result.assets) lines.push(`- ${asset.kind}: ${asset.displayPath}`);
  if (result.skipped.length > 0) {
    lines.push(`Skipped ${result.skipped.length} path${result.skipped.length === 1 ? '' : 's'}:`);
    for (const entry of result.skipped) lines.push(`- ${entry.kind}: ${entry.displayPath} (${entry.reason}${entry.coveredBy ? ` by ${entry.coveredBy}` : ''})`);
  }
  if (result.dryRun) lines.push('Dry run only; archive was not written.');
  else {
    lines.push(`Created ${result.archivePath}`);
    if (result.skippedVolatileCount > 0) lines.push(`Skipped ${result.skippedVolatileCount} volatile file${result.skippedVolatileCount === 1 ? '' : 's'} (live sessions, cron logs, queues, managed runtime paths, sockets, pid/tmp).`);
    if (result.verified) lines.push('Archive verification: passed');
  }
  return lines.join('\n');
}

function inspectArchive(archivePath) {
  const entries = readTarGz(readFileSync(archivePath));
  const manifests = entries.filter((entry) => entry.type === 'file' && /^[^/]+\/manifest\.json$/.test(entry.path));
  if (manifests.length !== 1) throw new Error(manifests.length === 0 ? 'Archive is missing manifest.json.' : 'Archive contains more than one manifest.json.');
  const manifest = JSON.parse(manifests[0].data.toString('utf8'));
  if (typeof manifest.archiveRoot !== 'string' || !manifest.archiveRoot.trim()) throw new Error('Backup manifest is missing archiveRoot.');
  if (!Array.isArray(manifest.assets) || manifest.assets.length === 0) throw new Error('Backup manifest lists no assets.');
  for (const entry of entries) {
    if (entry.path.split('/').includes('..') || !(entry.path === manifest.archiveRoot || entry.path.startsWith(`${manifest.archiveRoot}/`))) {
      throw new Error(`Archive entry is outside the declared archive root: ${entry.path}`);
    }
  }
  const paths = new Set(entries.map((entry) => entry.path));
  for (const asset of manifest.assets) {
    if (!paths.has(asset.archivePath)) throw new Error(`Archive is missing the payload for manifest asset: ${asset.archivePath}`);
  }
  return { entries, manifest };
}

export function backupVerify(archive) {
  const archivePath = resolve(archive);
  try {
    const { entries, manifest } = inspectArchive(archivePath);
    return {
      ok: true, archivePath, archiveRoot: manifest.archiveRoot, createdAt: manifest.createdAt,
      runtimeVersion: typeof manifest.runtimeVersion === 'string' && manifest.runtimeVersion.trim() ? manifest.runtimeVersion : 'unknown',
      assetCount: manifest.assets.length, entryCount: entries.length, symlinkCount: entries.filter((entry) => entry.type === 'symlink').length,
    };
  } catch (error) {
    const detail = error.code === 'ENOENT' ? `ENOENT: no such file or directory, open '${archivePath}'` : error.message;
    throw new Error(`Backup archive verification failed: ${archivePath}. ${detail}`);
  }
}

export function formatVerify(result) {
  return [`Backup archive OK: ${result.archivePath}`, `Archive root: ${result.archiveRoot}`, `Created at: ${result.createdAt}`,
    `Runtime version: ${result.runtimeVersion}`, `Assets verified: ${result.assetCount}`, `Archive entries scanned: ${result.entryCount}`,
    `Symbolic links checked: ${result.symlinkCount}`].join('\n');
}

export function backupRestore(archive, target, build) {
  if (!target) throw new Error("error: required option '--target <dir>' not specified");
  const targetPath = resolve(target);
  const stateDir = canonical(resolveStateDir());
  // Like real 2026.9.5: the CLI opens the state dir it runs against first, and refuses a newer
  // schema there even though the restore only writes into the target.
  const live = readDatabase(databasePath(stateDir));
  if (build && live.version !== null && live.version !== undefined && live.version > build.schema) {
    throw new Error(`This OpenClaw build cannot open your existing data.\nOpenClaw state database ${databasePath(stateDir)} uses newer schema version ${live.version}; this build supports ${build.schema}.\nUse a build that supports schema ${live.version} or newer with this state directory. To use an older build, restore your pre-update backup created with openclaw backup create.`);
  }
  if (within(canonical(targetPath), stateDir)) throw new Error(`Backup restore target must be outside the live OpenClaw state directory: ${targetPath}`);
  const verified = backupVerify(archive);
  if (existsSync(targetPath)) {
    if (!lstatSync(targetPath).isDirectory()) throw new Error(`Backup restore target must be a directory: ${targetPath}`);
    if (readdirSync(targetPath).length > 0) throw new Error(`Backup restore target directory must be empty: ${targetPath}`);
  } else {
    mkdirSync(targetPath, { recursive: true, mode: 0o700 });
  }
  const { entries } = inspectArchive(verified.archivePath);
  for (const entry of entries) {
    const dest = join(targetPath, entry.path);
    if (entry.type === 'dir') mkdirSync(dest, { recursive: true, mode: entry.mode || 0o755 });
    else if (entry.type === 'file') {
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, entry.data, { mode: entry.mode || 0o644 });
    }
  }
  return { ...verified, targetPath, warnings: [...RESTORE_WARNINGS] };
}

export function formatRestore(result) {
  return [`Backup archive restored to staging: ${shortenHome(result.targetPath)}`, `Verified archive: ${shortenHome(result.archivePath)}`,
    `Archive root: ${result.archiveRoot}`, `Archive entries restored: ${result.entryCount}`, '', 'Rollback warnings:',
    ...result.warnings.map((warning) => `- ${warning}`), '',
    'Activation is explicit: stop the Gateway, move the restored asset tree into place or point OPENCLAW_STATE_DIR at the restored state asset, then run `openclaw doctor`.'].join('\n');
}
