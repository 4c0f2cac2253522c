/**
 * Who may run what, from the `authorization` rules of the fleet config. Pure.
 *
 * - `help` is allowed to everyone, always: a refused user must be able to find out what exists.
 * - With no rules configured, everyone may run read-only commands and nobody may change anything.
 * - With rules, every other command needs a rule that names the actor (user id, Slack user
 *   group, Discord role or terminal user; `'*'` in a user list means every user of that
 *   platform), the command (or `'*'`) and the environment (or `'*'`).
 */
import type { AuthorizationRule } from '../config/schema.js';
import { ClawopsError } from '../errors.js';
import type { Actor, AuthorizationResult, Command } from './types.js';

/** Commands that only read. `doctor` is not one: it runs a diagnosis process on every host. */
export function isReadOnly(command: Command): boolean {
  switch (command.kind) {
    case 'status': case 'version': case 'check': case 'changelog': case 'history': case 'help':
      return true;
    case 'backup': case 'schedule':
      return command.action === 'list';
    default:
      return false;
  }
}

/** Commands about the whole fleet rather than one environment: rules' environment lists do not apply. */
function isFleetWide(command: Command): boolean {
  return command.kind === 'status' || command.kind === 'changelog' || command.kind === 'help'
    || (command.kind === 'schedule' && command.action === 'list');
}

/** The command as people say it: `upgrade`, `backup create`, `schedule cancel`. */
export function commandLabel(command: Command): string {
  return command.kind === 'backup' || command.kind === 'schedule' ? `${command.kind} ${command.action}` : command.kind;
}

function names(actor: Actor, rule: AuthorizationRule): boolean {
  const groups = actor.groups ?? [];
  const listed = (users: readonly string[]) => users.includes(actor.userId) || users.includes('*');
  const inGroup = (allowed: readonly string[]) => groups.some((group) => allowed.includes(group));
  switch (actor.platform) {
    case 'slack': return listed(rule.slackUsers) || inGroup(rule.slackUserGroups);
    case 'discord': return listed(rule.discordUsers) || inGroup(rule.discordRoles);
    case 'terminal': return listed(rule.terminalUsers);
    default: return false;
  }
}

function covers(rule: AuthorizationRule, command: Command): boolean {
  return rule.commands.includes('*') || rule.commands.includes(command.kind);
}

function reaches(rule: AuthorizationRule, command: Command, environment: string | undefined): boolean {
  if (rule.environments.includes('*') || isFleetWide(command)) return true;
  // An environment-scoped command whose environment the caller could not tell needs a '*' rule.
  return environment !== undefined && rule.environments.includes(environment);
}

function describe(actor: Actor): string {
  const groups = actor.groups ?? [];
  const kind = actor.platform === 'discord' ? 'roles' : 'groups';
  return `${actor.platform} user ${actor.userId}${groups.length > 0 && actor.platform !== 'terminal' ? ` (${kind} ${groups.join(', ')})` : ''}`;
}

/**
 * May `actor` run `command`? Pass the environment the command will act on, with the default
 * already resolved (an `upgrade` without an env means the default environment); leave it
 * undefined only for commands that name none (status, changelog, help, schedule list).
 */
export function authorize(command: Command, actor: Actor, rules: readonly AuthorizationRule[], environment?: string): AuthorizationResult {
  if (command.kind === 'help') return { allowed: true };
  const label = commandLabel(command);
  const refused = (why: string): AuthorizationResult => ({
    allowed: false,
    message: `you may not run ${label}${environment === undefined ? '' : ` in ${environment}`}: ${why}`,
  });
  if (rules.length === 0) {
    return isReadOnly(command)
      ? { allowed: true }
      : refused('no authorization rules are configured, and without them only read-only commands are allowed');
  }
  const index = rules.findIndex((rule) => names(actor, rule) && covers(rule, command) && reaches(rule, command, environment));
  if (index !== -1) return { allowed: true, rule: index };

  const elsewhere = rules.filter((rule) => names(actor, rule) && covers(rule, command)).flatMap((rule) => rule.environments);
  if (elsewhere.length > 0) {
    const where = [...new Set(elsewhere)].join(', ');
    return environment === undefined
      ? refused(`your authorization rules allow ${command.kind} only in ${where}; name the environment`)
      : refused(`your authorization rules allow ${command.kind} only in ${where}`);
  }
  return refused(`no authorization rule lets ${describe(actor)} do that`);
}

/** authorize for callers that handle errors by code: throws NOT_AUTHORIZED with the refusal as message. */
export function assertAuthorized(command: Command, actor: Actor, rules: readonly AuthorizationRule[], environment?: string): void {
  const result = authorize(command, actor, rules, environment);
  if (!result.allowed) {
    throw new ClawopsError('NOT_AUTHORIZED', result.message, { command: commandLabel(command), platform: actor.platform, userId: actor.userId, environment });
  }
}
