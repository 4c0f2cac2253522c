/** Step builders shared by the strategies: install side by side, switch the link, back up, restore, check. */
import type { PlanStep } from './types.js';
import { command, currentLink, healthBase, hostStep, releaseBinary, releasePrefix, stateEnv, trimSlash, type HostContext } from './context.js';
import type { Endpoint } from './strategies/types.js';
import { runbookCommand } from './template.js';

/** `npm install -g --prefix <releasesDir>/<version> openclaw@<version>`: a fresh prefix, so repeating it is harmless. */
export function installSteps(ctx: HostContext, version: string, suffix = 'install'): PlanStep[] {
  if (ctx.facts.installedVersions.includes(version)) return [];
  const prefix = releasePrefix(ctx.host, version);
  const argv = runbookCommand(ctx.config, 'install', { prefix, version }, [releaseBinary(ctx.host, version)]);
  return [hostStep(ctx, suffix, `Install openclaw ${version} side by side in ${prefix}`, 'install', command(argv), {
    safeToRepeat: true,
    timeoutMs: ctx.config.runbook.timeouts.installSeconds * 1000,
  })];
}

/**
 * Points `<releasesDir>/current` at a release atomically: a new link beside it, then `mv -T`
 * (rename(2) over the old link). The rename is checked with `test current -ef <prefix>`.
 */
export function switchLinkSteps(ctx: HostContext, version: string): PlanStep[] {
  const prefix = releasePrefix(ctx.host, version);
  const link = currentLink(ctx.host);
  return [
    hostStep(ctx, 'link', `Prepare link ${link}.tmp → ${prefix}`, 'install', command(['ln', '-sfn', prefix, `${link}.tmp`]), { safeToRepeat: true }),
    hostStep(ctx, 'switch', `Switch ${link} to ${version}`, 'switch', command(['mv', '-T', `${link}.tmp`, link]), {
      safeToRepeat: false,
      verify: ['test', link, '-ef', prefix],
    }),
  ];
}

/** `openclaw backup create` + `backup verify`, run by the live release on the live state dir. */
export function backupSteps(ctx: HostContext, binary: readonly string[], stateDir: string): PlanStep[] {
  const values = { backupFile: ctx.backupFile };
  const verifyArgv = runbookCommand(ctx.config, 'backupVerify', values, binary);
  const env = stateEnv(stateDir);
  return [
    hostStep(ctx, 'backup', `Full backup to ${ctx.backupFile}`, 'backup', command(runbookCommand(ctx.config, 'backupCreate', values, binary), env), {
      safeToRepeat: false,
      verify: verifyArgv,
    }),
    hostStep(ctx, 'backup-verify', 'Verify the backup', 'verify', command(verifyArgv, env), { safeToRepeat: true }),
  ];
}

export interface RestoreOptions {
  /** The state dir the backup goes into. */
  stateDir: string;
  /** Where the state dir in place now is kept (never deleted in the same run). */
  keepAs: string;
  /** The binary that restores (the release that wrote the backup). */
  binary: readonly string[];
  /** The state dir the backup was taken of (default `stateDir`): the archive keeps it under its absolute path. */
  sourceStateDir?: string;
  /** Suffix for step ids when one plan restores twice on a host. */
  idPrefix?: string;
  /** The archive to restore (default: the upgrade's backup). */
  backupFile?: string;
}

/**
 * The `find -path` pattern of a state dir inside an extracted backup: OpenClaw archives it as
 * `<archiveRoot>/payload/posix/<absolute source path>`. The plan does not know the remote
 * $HOME, so a `~/x` state dir matches as `posix/*\/x` (find's `*` also matches `/`: any home).
 */
export function restoredStatePattern(sourceStateDir: string): string {
  const dir = trimSlash(sourceStateDir);
  if (dir === '~') return '*/payload/posix/*';
  return dir.startsWith('~/') ? `*/payload/posix/*/${dir.slice(2)}` : `*/payload/posix${dir}`;
}

/**
 * `node -e RESTORE_EXTRACT_JS <restoreDir> <restore argv as JSON>`: OpenClaw restores only into an
 * empty dir, so a restore a crash interrupted could not run again ("target directory must be
 * empty"). Each attempt extracts into its own fresh `<restoreDir>/attempt-*` and a complete one is
 * renamed to `<restoreDir>/done` (atomic): a repeat after that only says so, a repeat before it
 * starts clean. Half-extracted attempts are left for inspection (nothing here deletes).
 */
export const RESTORE_EXTRACT_JS = String.raw`const cp = require("child_process");
const fs = require("fs");
const path = require("path");
const home = (v) => v.startsWith("~/") ? require("os").homedir() + v.slice(1) : v;
const [dir, argvJson] = process.argv.slice(1);
const root = home(dir);
const done = path.join(root, "done");
if (fs.existsSync(done)) { console.log("already extracted into " + done); process.exit(0); }
fs.mkdirSync(root, { recursive: true });
const target = fs.mkdtempSync(path.join(root, "attempt-"));
const argv = JSON.parse(argvJson).map((w) => w === "{targetDir}" ? target : home(w));
const r = cp.spawnSync(argv[0], argv.slice(1), { stdio: "inherit" });
if (r.status !== 0) { console.error("restore into " + target + " failed (exit " + r.status + (r.error ? ": " + r.error.message : "") + ")"); process.exit(r.status || 1); }
fs.renameSync(target, done);
console.log("extracted into " + done);`;

/**
 * Restores the backup into a fresh dir, moves the state dir in place aside, then moves the
 * backup's `<root>/payload/posix/<source state dir>` into place (OpenClaw never restores in
 * place, and the archive root is only known once extracted). Run only while nothing uses `stateDir`.
 */
export function restoreStateSteps(ctx: HostContext, options: RestoreOptions): PlanStep[] {
  const p = options.idPrefix ?? '';
  const restoreDir = `${options.stateDir}.restore-${ctx.runId}`;
  const restoreArgv = runbookCommand(ctx.config, 'backupRestore', { backupFile: options.backupFile ?? ctx.backupFile, targetDir: '{targetDir}' }, options.binary);
  return [
    hostStep(ctx, `${p}restore`, `Create ${restoreDir} for the restore`, 'restore', command(['mkdir', '-p', restoreDir]), { safeToRepeat: true }),
    // Pointed at a state dir that does not exist: run with the live one, the older release opens the
    // live database first and refuses it when the upgrade migrated it ("newer schema version 18"),
    // which is exactly when a restore is needed (measured on real 2026.9.5).
    hostStep(ctx, `${p}restore-extract`, `Extract the backup into ${restoreDir}/done`, 'restore',
      command(['node', '-e', RESTORE_EXTRACT_JS, restoreDir, JSON.stringify(restoreArgv)], { OPENCLAW_STATE_DIR: `${restoreDir}.cli-state` }), { safeToRepeat: true }),
    hostStep(ctx, `${p}state-ensure`, `Make sure ${options.stateDir} exists`, 'restore', command(['mkdir', '-p', options.stateDir]), { safeToRepeat: true }),
    hostStep(ctx, `${p}state-aside`, `Keep ${options.stateDir} as ${options.keepAs}`, 'restore', command(['mv', '-T', options.stateDir, options.keepAs]), {
      safeToRepeat: false,
      verify: ['test', '-d', options.keepAs],
    }),
    hostStep(ctx, `${p}state-swap`, `Move the restored state into ${options.stateDir}`, 'restore', command([
      'find', `${restoreDir}/done`, '-mindepth', '1', '-type', 'd', '-path', restoredStatePattern(options.sourceStateDir ?? options.stateDir), '-prune',
      '-exec', 'mv', '-T', '{}', options.stateDir, ';',
    ]), { safeToRepeat: false, verify: ['test', '-d', options.stateDir] }),
    // find exits 0 when nothing matched: this is what tells a bad archive.
    hostStep(ctx, `${p}state-check`, `Check ${options.stateDir} was restored`, 'verify', command(['test', '-d', options.stateDir]), { safeToRepeat: true }),
  ];
}

/**
 * Rollback by restore, with the gateway stopped as briefly as possible: the backup is extracted
 * and the new link prepared while the old process still serves (both only write fresh paths);
 * then stop, swap the state dirs, switch the link. The caller starts the gateway after these.
 */
export function stoppedRestoreSteps(ctx: HostContext, restore: RestoreOptions, stop: PlanStep): PlanStep[] {
  const [prepareDir, extract, ...swap] = restoreStateSteps(ctx, restore);
  const [prepareLink, switchLink] = switchLinkSteps(ctx, ctx.toVersion);
  return [prepareDir, extract, prepareLink, stop, ...swap, switchLink].filter((step): step is PlanStep => step !== undefined);
}

export function doctorStep(ctx: HostContext, binary: readonly string[], stateDir: string, suffix = 'doctor'): PlanStep {
  return hostStep(ctx, suffix, 'openclaw doctor', 'verify', command(runbookCommand(ctx.config, 'doctor', {}, binary), stateEnv(stateDir)), { safeToRepeat: true });
}

export function readyStep(ctx: HostContext, base: string, suffix = 'ready', title = 'Wait until ready (/readyz)'): PlanStep {
  const timeoutMs = ctx.config.runbook.timeouts.readySeconds * 1000;
  return hostStep(ctx, suffix, title, 'wait', { type: 'http-check', url: `${base}/readyz`, expect: 'ready', timeoutMs, viaHost: true }, { safeToRepeat: true });
}

export function liveStep(ctx: HostContext, base: string, suffix = 'live'): PlanStep {
  const timeoutMs = ctx.config.runbook.timeouts.readySeconds * 1000;
  return hostStep(ctx, suffix, 'Health: live (/healthz)', 'verify', { type: 'http-check', url: `${base}/healthz`, expect: 'live', timeoutMs, viaHost: true }, { safeToRepeat: true });
}

export function versionCheckStep(ctx: HostContext, argv: readonly string[], expectVersion: string, suffix = 'version', env: Readonly<Record<string, string>> = {}): PlanStep {
  const action = Object.keys(env).length > 0
    ? { type: 'version-check' as const, expectVersion, argv: [...argv], env: { ...env } }
    : { type: 'version-check' as const, expectVersion, argv: [...argv] };
  return hostStep(ctx, suffix, `Version is ${expectVersion}`, 'verify', action, { safeToRepeat: true });
}

export function probeVersionStep(ctx: HostContext, binary: readonly string[]): PlanStep {
  return hostStep(ctx, 'probe', 'Probe the running version', 'probe', command(runbookCommand(ctx.config, 'version', {}, binary)), { safeToRepeat: true });
}

/** Where a gateway that runs the `current` release (PM2, systemd) answers, and how to ask it its version. */
export function currentReleaseEndpoint(ctx: HostContext): Endpoint {
  const binary = [releaseBinary(ctx.host, 'current')];
  const strategy = ctx.host.strategy;
  const port = String('port' in strategy ? strategy.port : 18789);
  return {
    base: healthBase(ctx.host), versionArgv: runbookCommand(ctx.config, 'version', {}, binary), stateDir: ctx.host.stateDir, binary,
    running: { argv: runbookCommand(ctx.config, 'gatewayStatus', { port }, binary), env: { OPENCLAW_STATE_DIR: ctx.host.stateDir } },
  };
}
