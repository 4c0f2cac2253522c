/** What became of a command, as `clawops say` turns it into its exit code. */
import { isClawopsError, type ClawopsErrorCode } from '../errors.js';

export type CommandOutcome =
  | { status: 'invalid' | 'refused' | 'failed'; message: string }
  | { status: 'answered' }
  | { status: 'started'; upgradeId: string; dryRun: boolean };

/** A reply to a command, and whether it did what was asked (a refusal is answered, but not done). */
export interface CommandReply {
  ok: boolean;
  message: string;
}

/**
 * Errors that say the command cannot be done as asked (no such environment, a version that does
 * not exist, a lock held by another upgrade): the person must change the request, which `say`
 * reports as exit 2. Everything else is something that broke while doing it (exit 1).
 */
const REFUSALS: ReadonlySet<ClawopsErrorCode> = new Set<ClawopsErrorCode>([
  'CONFIG_INVALID', 'COMMAND_INVALID', 'NOT_AUTHORIZED', 'UNKNOWN_ENVIRONMENT', 'UNKNOWN_HOST', 'PLAN_INVALID', 'ENVIRONMENT_LOCKED', 'NOT_FOUND',
]);

export function outcomeOfError(error: unknown, message: string): CommandOutcome {
  if (isClawopsError(error) && REFUSALS.has(error.code)) return { status: error.code === 'NOT_AUTHORIZED' ? 'refused' : 'invalid', message };
  return { status: 'failed', message };
}

export function outcomeOfReply(reply: CommandReply): CommandOutcome {
  return reply.ok ? { status: 'answered' } : { status: 'invalid', message: reply.message };
}
