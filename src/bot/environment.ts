/** The environment a command acts on, with the configured default resolved (authorization needs it). Pure. */
import type { Command } from '../commands/types.js';
import type { ClawopsConfig } from '../config/schema.js';
import { selectEnvironment } from '../runbook/index.js';

const DEFAULTED: ReadonlySet<Command['kind']> = new Set(['upgrade', 'rollback', 'version', 'check', 'backup', 'doctor', 'history']);

/**
 * The named environment, else the default one for commands that act on an environment; undefined
 * for fleet-wide commands, or when no default can be told (authorization then needs a '*' rule).
 */
export function environmentOf(command: Command, config: ClawopsConfig): string | undefined {
  const named = 'environment' in command ? command.environment : undefined;
  if (named !== undefined) return named;
  if (!DEFAULTED.has(command.kind)) return undefined;
  try {
    return selectEnvironment(config, undefined).name;
  } catch {
    return undefined;
  }
}
