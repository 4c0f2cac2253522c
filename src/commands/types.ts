/** The typed result of parsing one `/openclaw …` command line. Pure data. */

/** A semver version (normalized: no leading `v`) or `latest`. */
export type VersionSpec = string;

export type ScheduleSpec =
  | { kind: 'at'; text: string }
  | { kind: 'window'; which: 'next' | 'auto' };

export type Command =
  | {
      kind: 'upgrade';
      version: VersionSpec;
      environment?: string;
      strategy?: 'pm2' | 'systemd' | 'blue-green' | 'docker-compose' | 'docker-swarm';
      hosts?: string[];
      schedule?: ScheduleSpec;
      dryRun: boolean;
      skipStaging: boolean;
    }
  | {
      kind: 'rollback';
      environment?: string;
      toVersion?: string;
      fromBackup?: string;
      /** Also roll back the staging hosts an upgrade of `environment` changed first (they passed, so they are kept by default). */
      withStaging?: boolean;
      dryRun: boolean;
    }
  | { kind: 'status' }
  | { kind: 'version'; environment?: string }
  | { kind: 'check'; environment?: string }
  | { kind: 'changelog'; from: string; to: string }
  | { kind: 'backup'; action: 'create' | 'verify' | 'list'; environment?: string }
  | { kind: 'doctor'; environment?: string }
  | { kind: 'schedule'; action: 'list' }
  | { kind: 'schedule'; action: 'cancel'; id: string }
  | { kind: 'cancel'; upgradeId: string }
  | { kind: 'history'; environment?: string }
  | { kind: 'help'; topic?: string };

export type CommandKind = Command['kind'];

export type ParseResult =
  | { ok: true; command: Command }
  /** `message` says what is wrong, specifically; `help` is the usage line of the command concerned. */
  | { ok: false; message: string; help: string };

/** Who sent a command, as the chat adapter (or the terminal) identifies them. */
export interface Actor {
  platform: 'slack' | 'discord' | 'terminal';
  /** Slack user id (U…), Discord user id (snowflake) or the terminal's OS user name. */
  userId: string;
  /** Slack user group ids or Discord role ids the user belongs to, when the platform tells. */
  groups?: string[];
}

export type AuthorizationResult =
  /** `rule` is the index of the authorization rule that allowed it; absent when no rule was needed. */
  | { allowed: true; rule?: number }
  /** `message` names what was refused and why, for the person who asked. */
  | { allowed: false; message: string };
