/** An upgrade plan is pure data: ordered steps with the exact argv each runs on which host, and gates. */
import type { StrategyKind } from '../config/schema.js';

export type StepKind =
  | 'probe'      // read-only: version, status, health
  | 'backup'
  | 'install'
  | 'switch'     // changes what serves: reload, restart, link switch, nginx upstream (the first one marks traffic as moved)
  | 'verify'     // checks that fail the upgrade when they fail
  | 'restore'
  | 'notify'
  | 'wait';

/**
 * What the executor does for a step. `command` runs argv over SSH; the others are built-in actions.
 *
 * Paths: host paths keep a leading `~/` (argv elements and env values); the SSH executor expands
 * it to the remote `$HOME` (src/remote/quote.ts). The plan never joins argv into shell text.
 *
 * - `command`: `env` is set for this command only; `okExitCodes` defaults to `[0]`. Templates'
 *   `openclaw` is already resolved to a release binary here (src/runbook/template.ts).
 * - `write-file`: written atomically on the step's host (RemoteShell.writeFile).
 * - `http-check`: polls `url` (full URL, path included: `/healthz` for live, `/readyz` for ready)
 *   until it answers as expected or `timeoutMs` passes. `viaHost`: curl on the step's host over
 *   SSH (loopback URLs) instead of from the bot.
 * - `version-check`: runs `argv` on the host and compares the first version-like token of its
 *   stdout (`OpenClaw 2026.9.6 (ec9c1a1)`, an image ref `openclaw/openclaw:2026.9.6`) with
 *   `expectVersion`. Without `argv` the executor uses its own version probe.
 * - `watch`: health checks every `intervalSeconds` for `minutes`; a failure proposes rollback.
 *   A watch step without `host` covers every host of its environment that the plan upgraded.
 *   `versions` says how to ask each host's running gateway its version (shown with its health);
 *   a host that answers with another version than `expectVersion` fails the watch.
 * - `notify`: posts `message` to the thread and writes the upgrade record (audit log).
 *
 * Restoring state (blue-green idle color, rollback from backup) needs no built-in action: the
 * restore goes into a fresh dir, and `find <dir> -type d -path
 * '*\/payload/posix/<source state dir>' -prune -exec mv -T {} <stateDir> ;` (one argv, no shell)
 * moves the payload into place, followed by a `test -d <stateDir>` verify step, because `find`
 * exits 0 even when it found nothing. See src/runbook/steps.ts.
 */
/** How to ask one host which OpenClaw version its gateway runs (argv run on the host). */
export interface VersionProbe {
  argv: readonly string[];
  env?: Readonly<Record<string, string>>;
}

export type StepAction =
  | { type: 'command'; argv: readonly string[]; env?: Readonly<Record<string, string>>; okExitCodes?: readonly number[] }
  | { type: 'write-file'; path: string; content: string }
  | { type: 'http-check'; url: string; expect: 'live' | 'ready'; timeoutMs: number; viaHost: boolean }
  | { type: 'version-check'; expectVersion: string; argv?: readonly string[]; env?: Readonly<Record<string, string>> }
  | { type: 'watch'; minutes: number; intervalSeconds: number; expectVersion?: string; versions?: Readonly<Record<string, VersionProbe>> }
  | { type: 'notify'; message: string };

/** Where a step belongs in the run; the chat checklist groups by it. */
export type StepPhase = 'preflight' | 'staging' | 'rollout' | 'verify' | 'watch' | 'record';

export interface PlanStep {
  /** Stable within the plan, e.g. `host-a:install`. */
  id: string;
  /** As shown in the checklist. */
  title: string;
  kind: StepKind;
  /** Host name from the config; undefined for fleet-wide steps. */
  host?: string;
  environment: string;
  action: StepAction;
  timeoutMs: number;
  /** Whether running it again after an interruption is harmless. */
  safeToRepeat: boolean;
  /** For steps that are not safe to repeat: a probe whose exit 0 means "already done" (run with `env`). */
  verify?: { argv: readonly string[]; env?: Readonly<Record<string, string>> };
  /** Gate ids that must be approved before this step runs. */
  after?: readonly string[];
  /** The checklist shows the last line of its output once done (a measured figure, a count). */
  report?: boolean;
  phase?: StepPhase;
  /**
   * Rolling batch (0-based) within its phase. Batches run in order; the executor may run the
   * steps of different hosts in one batch concurrently, each host's steps in plan order.
   */
  batch?: number;
}

export interface PlanGate {
  id: string;
  title: string;
  /** Why approval is needed (breaking change, switch traffic, skip staging, rollback). */
  reason: 'breaking-change' | 'skip-staging' | 'switch-traffic' | 'rollback' | 'schema-change' | 'confirm';
  /** The step id this gate stands before. */
  beforeStep: string;
}

export type UpdateType = 'major' | 'minor' | 'patch' | 'prerelease' | 'none' | 'downgrade';

export interface ChangelogFindings {
  breaking: string[];
  migrations: string[];
  runtime: string[];
  newConfig: string[];
}

export interface Plan {
  kind: 'upgrade' | 'rollback';
  environment: string;
  fromVersions: Readonly<Record<string, string>>;
  toVersion: string;
  updateType: UpdateType;
  strategy: StrategyKind;
  /** Honest expected downtime, e.g. "none (traffic switch)" or "4–12 s per host (restart)". */
  expectedDowntime: string;
  warnings: string[];
  changelog?: ChangelogFindings;
  backupId?: string;
  steps: PlanStep[];
  gates: PlanGate[];
  /**
   * Per host: steps the engine runs when that host fails before any of its `switch` steps ran
   * (traffic never moved), e.g. blue-green removes the idle color and resumes the live one.
   */
  onFailure?: PlanStep[];
  /** Hash of the plan as shown; approvals are bound to it. */
  hash: string;
}

/** What the bot learned from the hosts before planning (collected by I/O code, passed in as data). */
export interface HostFacts {
  host: string;
  /** `openclaw --version` of the running install; null when not installed or unreadable. */
  currentVersion: string | null;
  /** Versions already installed side by side under the releases dir. */
  installedVersions: string[];
  /** Blue-green: which color nginx currently sends traffic to. */
  liveColor?: 'blue' | 'green';
  /** Blue-green: whether the color that is *not* live is running now (rollback starts it when not). */
  idleColorRunning?: boolean;
  /** systemd: whether the unit defines ExecReload. */
  systemdHasExecReload?: boolean;
  /** systemd: the unit's ExecReload line, when it has one (a SIGUSR2 reload kills OpenClaw). */
  systemdExecReload?: string;
  /** systemd: the unit's ExecStart line (should run `<releasesDir>/current/bin/openclaw`). */
  systemdExecStart?: string;
  /**
   * pm2: what the ecosystem / `pm2 jlist` says about the app. `script` is the path PM2 runs
   * (should be `<releasesDir>/current/bin/openclaw` with interpreter `none`).
   */
  pm2?: Pm2AppFacts;
  /** pm2: the names of every app `pm2 jlist` listed (set whenever the list could be read, also when the app is not in it). */
  pm2Apps?: string[];
  /** OpenClaw data schema version, when known (e.g. from `database preflight`). */
  schemaVersion?: number;
  /**
   * Rollback planning only: whether the release being rolled back to can read this host's state
   * as it is now, asked with that release's own `database preflight` on a snapshot (never on the
   * live database). `unknown` (the check could not complete) is treated like `incompatible`.
   */
  stateCompatibility?: { verdict: 'compatible' | 'incompatible' | 'unknown'; detail: string };
}

/**
 * One PM2 app as `pm2 jlist` describes it. Env *values* never leave the host (they can hold
 * secrets): only the names of the variables set for the app are kept.
 */
export interface Pm2AppFacts {
  execMode: 'fork' | 'cluster';
  waitReady: boolean;
  listenTimeoutMs?: number;
  killTimeoutMs?: number;
  /** `exec_interpreter`: `none` runs the script itself; a Node path wraps it. */
  interpreter?: string;
  /** `pm_exec_path`: the absolute path PM2 runs (a PATH lookup resolved, symlinks kept). */
  script?: string;
  /** `args`: what the script runs with, e.g. `gateway run --port 18789`. */
  args?: string[];
  /** `pm_cwd`. */
  cwd?: string;
  /** `online`, `stopped`, `errored`, … */
  status?: string;
  /** `restart_time`: how often PM2 restarted it (a crash loop shows here first). */
  restarts?: number;
  pid?: number;
  /** Names of the variables set for the app itself (inherited shell and PM2-internal ones left out). */
  envNames?: string[];
  /** The app's `OPENCLAW_STATE_DIR` (a path, not a secret: the one env value read), when set. */
  stateDir?: string;
  /** The app's `HOME`, to compare `~/` paths of the config with absolute ones. */
  home?: string;
}

export interface PlanFacts {
  /** Unique id of this upgrade (also used in backup file names). */
  upgradeId: string;
  /** ISO timestamp the plan is built at. */
  now: string;
  /** The target version with `latest` already resolved. */
  targetVersion: string;
  hosts: Readonly<Record<string, HostFacts>>;
  /** CHANGELOG.md text per version between current and target (each file holds its own release). */
  changelogs: Readonly<Record<string, string>>;
  /** Whether the target's data schema is newer than the current one (rollback must then restore). */
  schemaChanges?: boolean;
}

/**
 * What a rollback knows about the upgrade it undoes (from the audit log). All optional: the
 * rollback plan falls back to the command and the facts.
 */
export interface RollbackRecord {
  /** The upgrade's id; also the backup id when `backupId` is not given. */
  upgradeId?: string;
  /** Version per host before the upgrade. */
  fromVersions?: Readonly<Record<string, string>>;
  toVersion?: string;
  /** The upgrade's backup id (its upgradeId: backup files are `openclaw-pre-upgrade-<id>-<host>.tar.gz`). */
  backupId?: string;
  /** Whether the upgrade moved the data schema forward (an older build then refuses to start). */
  schemaChanged?: boolean;
}
