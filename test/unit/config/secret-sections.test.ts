/** Secrets only where used: unresolved `${VAR}`s are errors in the sections a command needs, deferred elsewhere. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isClawopsError } from '../../../src/errors.js';
import { formatProblem } from '../../../src/config/format-issues.js';
import { interpolateSecrets, SECRET_PATHS } from '../../../src/config/interpolate.js';
import { parseConfig } from '../../../src/config/load.js';
import { deferredSecrets, partitionUnresolved, sectionOf } from '../../../src/config/secret-sections.js';
import { VALID_WITH_SECRETS_YAML, VALID_YAML } from './fixtures.js';

const HOME = '/home/tester';
const EXAMPLE = await readFile(join(import.meta.dirname, '..', '..', '..', 'clawops.example.yml'), 'utf8');
const EXAMPLE_VARIABLES = ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'DISCORD_TOKEN', 'REDIS_URL'];

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (!isClawopsError(error, 'CONFIG_INVALID')) throw error;
    return (error.details['problems'] as Parameters<typeof formatProblem>[0][]).map(formatProblem);
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('interpolateSecrets', () => {
  it('keeps unset and empty variables apart from mistakes in the file, and leaves their text as written', () => {
    const result = interpolateSecrets({
      chat: { slack: { botToken: '${UNSET}', appToken: '${EMPTY}' } },
      redis: { url: 'redis://:${SET}@h:6379' },
      environments: { production: { address: '${X}' } },
    }, { EMPTY: '', SET: 'pw' });
    expect(result.unresolved).toEqual([
      { at: ['chat', 'slack', 'botToken'], message: 'environment variable UNSET is not set' },
      { at: ['chat', 'slack', 'appToken'], message: 'environment variable EMPTY is empty' },
    ]);
    expect(result.problems.map((problem) => problem.at)).toEqual([['environments', 'production', 'address']]);
    expect(result.value).toMatchObject({ chat: { slack: { botToken: '${UNSET}', appToken: '${EMPTY}' } }, redis: { url: 'redis://:pw@h:6379' } });
  });
});

describe('sections', () => {
  it('maps every secret field to its section', () => {
    expect(SECRET_PATHS.map(sectionOf)).toEqual(['chat.slack', 'chat.slack', 'chat.slack', 'chat.discord', 'redis']);
    expect(() => sectionOf('chat.slackish.token')).toThrow();
  });

  it('splits unresolved variables into those the command needs and the rest', () => {
    const slack = { at: ['chat', 'slack', 'botToken'], message: 'a' };
    const redis = { at: ['redis', 'url'], message: 'b' };
    expect(partitionUnresolved([slack, redis], ['redis'])).toEqual({ required: [redis], deferred: [slack] });
    expect(partitionUnresolved([slack, redis], [])).toEqual({ required: [], deferred: [slack, redis] });
  });
});

describe('parseConfig with needs', () => {
  it('needs every section by default: each unset variable is an error, as before', () => {
    const problems = problemsOf(() => parseConfig(EXAMPLE, { env: {}, home: HOME }));
    expect(problems).toHaveLength(EXAMPLE_VARIABLES.length);
    for (const name of EXAMPLE_VARIABLES) expect(problems.join('\n')).toContain(`environment variable ${name} is not set`);
  });

  it('needing nothing, loads clawops.example.yml with no environment and lists the unset variables with path and line', () => {
    const config = parseConfig(EXAMPLE, { env: {}, home: HOME, needs: [] });
    expect(config.chat.slack?.mode).toBe('socket');
    expect(config.chat.discord?.applicationId).toBe('401234567890123456');
    expect(config.redis.prefix).toBe('clawops');
    expect(deferredSecrets(config).map(formatProblem)).toEqual([
      expect.stringMatching(/^chat\.slack\.botToken: environment variable SLACK_BOT_TOKEN is not set \(line \d+\)$/),
      expect.stringMatching(/^chat\.slack\.appToken: environment variable SLACK_APP_TOKEN is not set \(line \d+\)$/),
      expect.stringMatching(/^chat\.slack\.signingSecret: environment variable SLACK_SIGNING_SECRET is not set \(line \d+\)$/),
      expect.stringMatching(/^chat\.discord\.token: environment variable DISCORD_TOKEN is not set \(line \d+\)$/),
      expect.stringMatching(/^redis\.url: environment variable REDIS_URL is not set \(line \d+\)$/),
    ]);
  });

  it('makes an unresolved secret a config error for the sections needed, and only for those', () => {
    expect(problemsOf(() => parseConfig(EXAMPLE, { env: {}, home: HOME, needs: ['redis'] })))
      .toEqual([expect.stringMatching(/^redis\.url: environment variable REDIS_URL is not set/)]);
    const config = parseConfig(EXAMPLE, { env: { REDIS_URL: 'redis://10.0.0.5:6379' }, home: HOME, needs: ['redis'] });
    expect(config.redis.url).toBe('redis://10.0.0.5:6379');
    expect(deferredSecrets(config).map((secret) => secret.path)).toEqual(['chat.slack.botToken', 'chat.slack.appToken', 'chat.slack.signingSecret', 'chat.discord.token']);
  });

  it('throws naming the variable and the path when a deferred secret is read anyway', () => {
    const config = parseConfig(VALID_WITH_SECRETS_YAML, { env: { SLACK_APP_TOKEN: 'xapp-1' }, home: HOME, needs: [] });
    expect(config.chat.slack?.appToken).toBe('xapp-1');
    expect(() => config.chat.slack?.botToken).toThrow('chat.slack.botToken: environment variable SLACK_BOT_TOKEN is not set');
    expect(() => config.redis.url).toThrow('redis.url: environment variable REDIS_PASSWORD is not set');
    expect(Object.isFrozen(config.chat.slack)).toBe(true);
    expect(Object.isFrozen(config.environments)).toBe(true);
  });

  it('still validates the rest of a section whose secrets are deferred', () => {
    const text = `${VALID_YAML}
chat:
  slack:
    mode: carrier-pigeon
    botToken: \${SLACK_BOT_TOKEN}
  discord:
    token: \${DISCORD_TOKEN}
redis:
  url: \${REDIS_URL}
  prefx: typo
`;
    const problems = problemsOf(() => parseConfig(text, { env: {}, home: HOME, needs: [] }));
    expect(problems).toEqual([
      expect.stringMatching(/^chat\.slack\.mode: expected one of http, socket, got "carrier-pigeon"/),
      expect.stringMatching(/^chat\.discord\.applicationId: required/),
      expect.stringMatching(/^redis: unknown key "prefx"/),
    ]);
    expect(problems.join('\n')).not.toContain('is not set');
  });

  it('resolves set secrets whatever the command needs, and defers nothing then', () => {
    const env = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', REDIS_PASSWORD: 'pw' };
    const config = parseConfig(VALID_WITH_SECRETS_YAML, { env, home: HOME, needs: [] });
    expect(config.chat.slack?.botToken).toBe('xoxb-1');
    expect(config.redis.url).toBe('redis://:pw@127.0.0.1:6379');
    expect(deferredSecrets(config)).toEqual([]);
  });
});
