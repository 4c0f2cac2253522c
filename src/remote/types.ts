/** How clawops reaches a target host. One real implementation (SSH); the executor is the only place argv is joined. */
import type { HostFence } from './host-fence.js';

export interface RemoteTarget {
  /** Host name from the fleet config (used in messages and errors). */
  name: string;
  address: string;
  port: number;
  user: string;
  privateKeyPath: string;
  /** Pinned `SHA256:…` fingerprint. */
  hostKey: string;
  /** Environment variables set for every command (values are quoted like any argument). */
  env?: Readonly<Record<string, string>>;
}

export interface RunOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Bytes written to the command's stdin, then closed. */
  stdin?: string;
  /** Working directory on the host. */
  cwd?: string;
  /** Environment variables for this command only, over `RemoteTarget.env` (names `[A-Za-z_][A-Za-z0-9_]*`). */
  env?: Readonly<Record<string, string>>;
  /** The upgrade attempt this command belongs to: checked and journaled on the host (host-fence.ts). */
  fence?: HostFence;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/**
 * Runs argv arrays on hosts. Never throws for a non-zero exit; throws ClawopsError for
 * HOST_KEY_MISMATCH, SSH_CONNECT_FAILED, SSH_DISCONNECTED, COMMAND_TIMEOUT, ABORTED, and SUPERSEDED
 * (a fenced command the host refused: a newer attempt of its upgrade ran there).
 */
export interface RemoteShell {
  run(target: RemoteTarget, argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Writes a file on the host atomically (temp file + rename), creating parent directories. */
  writeFile(target: RemoteTarget, path: string, content: string, options?: RunOptions): Promise<void>;
  close(): Promise<void>;
}
