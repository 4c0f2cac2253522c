import { describe, expect, it } from 'vitest';
import { authorizationRuleSchema, type AuthorizationRule } from '../../../src/config/schema.js';
import { assertAuthorized, authorize, commandLabel, isReadOnly } from '../../../src/commands/authorize.js';
import { isClawopsError } from '../../../src/errors.js';
import { parseCommand } from '../../../src/commands/parse.js';
import type { Actor, Command } from '../../../src/commands/types.js';

function command(text: string): Command {
  const parsed = parseCommand(text);
  if (!parsed.ok) throw new Error(`test command does not parse: ${parsed.message}`);
  return parsed.command;
}

const rule = (input: Partial<Record<keyof AuthorizationRule, string[]>>): AuthorizationRule =>
  authorizationRuleSchema.parse({ commands: ['*'], ...input });

const slack: Actor = { platform: 'slack', userId: 'U123' };
const discord: Actor = { platform: 'discord', userId: '81234567890' };
const terminal: Actor = { platform: 'terminal', userId: 'deploy' };

const READ_ONLY = ['status', 'version', 'check production', 'changelog 2026.9.5 2026.9.6', 'history', 'help', 'backup list', 'schedule list'];
const CHANGING = ['upgrade 1.3.0', 'rollback', 'backup create', 'backup verify', 'doctor', 'schedule cancel 4', 'cancel 7'];

describe('authorize without rules', () => {
  it.each(READ_ONLY)('lets everyone run %s', (text) => {
    expect(authorize(command(text), slack, [], 'production')).toEqual({ allowed: true });
  });

  it.each(CHANGING)('lets nobody run %s', (text) => {
    const result = authorize(command(text), terminal, [], 'production');
    expect(result).toEqual({
      allowed: false,
      message: `you may not run ${commandLabel(command(text))} in production: no authorization rules are configured, and without them only read-only commands are allowed`,
    });
  });
});

describe('authorize with rules, by kind of rule', () => {
  const cases: Array<[string, AuthorizationRule, Actor]> = [
    ['a Slack user id', rule({ slackUsers: ['U123'] }), slack],
    ['a Slack user group', rule({ slackUserGroups: ['S-OPS'] }), { ...slack, groups: ['S-DEV', 'S-OPS'] }],
    ['a Discord user id', rule({ discordUsers: ['81234567890'] }), discord],
    ['a Discord role', rule({ discordRoles: ['R-ops'] }), { ...discord, groups: ['R-ops'] }],
    ['a terminal user', rule({ terminalUsers: ['deploy'] }), terminal],
    ['every Slack user (*)', rule({ slackUsers: ['*'] }), slack],
  ];

  it.each(cases)('allows an upgrade for %s', (_kind, granting, actor) => {
    expect(authorize(command('upgrade 1.3.0'), actor, [rule({ terminalUsers: ['someone-else'] }), granting], 'production'))
      .toEqual({ allowed: true, rule: 1 });
  });

  it.each(cases)('refuses a different user than %s', (_kind, granting, actor) => {
    const other: Actor = { platform: actor.platform, userId: 'U999', groups: ['S-OTHER'] };
    const result = authorize(command('upgrade 1.3.0'), other, [granting], 'production');
    if (granting.slackUsers.includes('*') && actor.platform === 'slack') {
      expect(result).toEqual({ allowed: true, rule: 0 });
      return;
    }
    const kind = other.platform === 'discord' ? 'roles' : 'groups';
    const who = other.platform === 'terminal' ? 'terminal user U999' : `${other.platform} user U999 (${kind} S-OTHER)`;
    expect(result).toEqual({ allowed: false, message: `you may not run upgrade in production: no authorization rule lets ${who} do that` });
  });

  it('does not match an id across platforms', () => {
    const rules = [rule({ discordUsers: ['U123'], terminalUsers: ['U123'] })];
    expect(authorize(command('upgrade 1.3.0'), slack, rules, 'production')).toEqual({
      allowed: false, message: 'you may not run upgrade in production: no authorization rule lets slack user U123 do that',
    });
  });

  it('does not treat a Slack group id as a user id', () => {
    const rules = [rule({ slackUsers: ['S-OPS'] })];
    expect(authorize(command('rollback'), { ...slack, groups: ['S-OPS'] }, rules, 'staging').allowed).toBe(false);
  });
});

describe('authorize: commands and environments in a rule', () => {
  const ops = rule({ slackUsers: ['U123'], commands: ['upgrade', 'status'], environments: ['staging', 'qa'] });

  it('allows a listed command in a listed environment', () => {
    expect(authorize(command('upgrade 1.3.0 staging'), slack, [ops], 'staging')).toEqual({ allowed: true, rule: 0 });
  });

  it('names the environments the user may use when the one asked for is not among them', () => {
    expect(authorize(command('upgrade 1.3.0'), slack, [ops], 'production')).toEqual({
      allowed: false, message: 'you may not run upgrade in production: your authorization rules allow upgrade only in staging, qa',
    });
  });

  it('refuses a command the rule does not list', () => {
    expect(authorize(command('rollback staging'), slack, [ops], 'staging')).toEqual({
      allowed: false, message: 'you may not run rollback in staging: no authorization rule lets slack user U123 do that',
    });
  });

  it('needs a * environment rule when the environment is not known', () => {
    expect(authorize(command('cancel 7'), slack, [rule({ slackUsers: ['U123'], commands: ['cancel'], environments: ['staging'] })])).toEqual({
      allowed: false, message: 'you may not run cancel: your authorization rules allow cancel only in staging; name the environment',
    });
    expect(authorize(command('cancel 7'), slack, [rule({ slackUsers: ['U123'], commands: ['cancel'] })])).toEqual({ allowed: true, rule: 0 });
  });

  it('ignores environment lists for fleet-wide commands', () => {
    expect(authorize(command('status'), slack, [ops])).toEqual({ allowed: true, rule: 0 });
  });

  it('needs a rule for read-only commands once rules exist, but never for help', () => {
    const stranger: Actor = { platform: 'discord', userId: '42' };
    expect(authorize(command('status'), stranger, [ops])).toEqual({
      allowed: false, message: 'you may not run status: no authorization rule lets discord user 42 do that',
    });
    expect(authorize(command('backup list'), stranger, [ops], 'staging')).toEqual({
      allowed: false, message: 'you may not run backup list in staging: no authorization rule lets discord user 42 do that',
    });
    expect(authorize(command('help upgrade'), stranger, [ops])).toEqual({ allowed: true });
  });

  it('lets a rule with * commands run everything in its environments', () => {
    const admin = [rule({ terminalUsers: ['deploy'], environments: ['production'] })];
    for (const text of [...CHANGING, ...READ_ONLY]) {
      expect(authorize(command(text), terminal, admin, 'production').allowed).toBe(true);
    }
  });
});

describe('isReadOnly', () => {
  it.each(READ_ONLY)('%s only reads', (text) => expect(isReadOnly(command(text))).toBe(true));
  it.each(CHANGING)('%s changes things', (text) => expect(isReadOnly(command(text))).toBe(false));
});

describe('assertAuthorized', () => {
  it('passes silently when allowed and throws NOT_AUTHORIZED with the refusal when not', () => {
    expect(() => assertAuthorized(command('status'), slack, [])).not.toThrow();
    let caught: unknown;
    try {
      assertAuthorized(command('upgrade 1.3.0'), slack, [], 'production');
    } catch (error) {
      caught = error;
    }
    expect(isClawopsError(caught, 'NOT_AUTHORIZED')).toBe(true);
    expect(caught).toMatchObject({
      message: 'you may not run upgrade in production: no authorization rules are configured, and without them only read-only commands are allowed',
      details: { command: 'upgrade', platform: 'slack', userId: 'U123', environment: 'production' },
    });
  });
});
