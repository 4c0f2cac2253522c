/** An upgrade plan is pure data: ordered steps with the exact argv each runs on which host, and gates. */
import type { StrategyKind } from '../config/schema.js';

export type StepKind =
  | 'probe'      // read-only: version, status, health
  | 'backup'
  | 'install'
  | 'switch'     // changes what runs: reload, restart, link switch, nginx upstream
  | 'verify'     // checks that fail the upgrade when they fail
  | 'restore'
  | 'notify'
  | 'wait';

/** What the executor does for a step. `command` runs argv over SSH; the others are built-in actions. */
export type StepAction =
  | { type: 'command'; argv: readonly string[]; env?: Readonly<Record<string, string>>; okExitCodes?: readonly number[] }
  | { type: 'write-file'; path: string; content: string }
  | { type: 'http-check'; url: string; expect: 'live' | 'ready'; timeoutMs: number; viaHost: boolean }
  | { type: 'version-check'; expectVersion: string }
  | { type: 'watch'; minutes: number; intervalSeconds: number };

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
  /** For steps that are not safe to repeat: a probe whose exit 0 means "already done". */
  verify?: { argv: readonly string[] };
  /** Gate ids that must be approved before this step runs. */
  after?: readonly string[];
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
  /** systemd: whether the unit defines ExecReload. */
  systemdHasExecReload?: boolean;
  /** pm2: what the ecosystem / `pm2 jlist` says about the app. */
  pm2?: { execMode: 'fork' | 'cluster'; waitReady: boolean; listenTimeoutMs?: number; killTimeoutMs?: number; interpreter?: string };
  /** OpenClaw data schema version, when known (e.g. from `database preflight`). */
  schemaVersion?: number;
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
