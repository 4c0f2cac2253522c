/**
 * Every failure clawops reports on purpose is a ClawopsError: a stable `code` that callers
 * switch on, a message written for the person in the chat, and structured fields for logs.
 * Library errors are translated into these where they enter (SSH, Redis, chat APIs).
 */
export type ClawopsErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'COMMAND_INVALID'
  | 'NOT_AUTHORIZED'
  | 'UNKNOWN_ENVIRONMENT'
  | 'UNKNOWN_HOST'
  | 'HOST_KEY_MISMATCH'
  | 'SSH_CONNECT_FAILED'
  | 'SSH_DISCONNECTED'
  | 'COMMAND_TIMEOUT'
  | 'ABORTED'
  | 'SUPERSEDED'
  | 'PLAN_INVALID'
  | 'ENVIRONMENT_LOCKED'
  | 'STEP_FAILED'
  | 'GATE_REJECTED'
  | 'GATE_EXPIRED'
  | 'HEALTH_FAILED'
  | 'UPGRADE_CANCELLED'
  | 'NOT_FOUND'
  | 'INTERNAL';

export class ClawopsError extends Error {
  readonly code: ClawopsErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ClawopsErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClawopsError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export function isClawopsError(value: unknown, code?: ClawopsErrorCode): value is ClawopsError {
  return value instanceof ClawopsError && (code === undefined || value.code === code);
}
