import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClawopsError, type ClawopsError } from '../../../src/errors.js';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { formatProblem } from '../../../src/config/format-issues.js';
import { KEY_A, KEY_B, THREE_MISTAKES_YAML, VALID_WITH_SECRETS_YAML, VALID_YAML } from './fixtures.js';

const HOME = '/home/tester';

/** The 1-based line of the `occurrence`th line containing `needle`. */
function lineOf(text: string, needle: string, occurrence = 1): number {
  let seen = 0;
  const index = text.split('\n').findIndex((line) => line.includes(needle) && ++seen === occurrence);
  if (index === -1) throw new Error(`no line with ${needle}`);
  return index + 1;
}

function problemsOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, { env, home: HOME, file: 'clawops.yml' });
  } catch (error) {
    if (!isClawopsError(error, 'CONFIG_INVALID')) throw error;
    return (error.details['problems'] as Parameters<typeof formatProblem>[0][]).map(formatProblem);
  }
  throw new Error('expected the config to be invalid');
}

/** Two hosts in one environment with the given extra YAML for the second. */
function fleet(secondHost: string): string {
  return `
environments:
  production:
    hosts:
      - name: prod-a
        address: 10.0.2.10
        hostKey: ${KEY_A}
        strategy: { kind: pm2 }
      - address: 10.0.2.11
        hostKey: ${KEY_B}
${secondHost.trim().split('\n').map((line) => `        ${line}`).join('\n')}
`;
}

describe('parseConfig', () => {
  it('returns a deeply frozen config with defaults filled in', () => {
    const config = parseConfig(VALID_YAML, { env: {}, home: HOME });
    expect(Object.keys(config.environments)).toEqual(['staging', 'production']);
    const green = config.environments['production']?.hosts[1]?.strategy;
    expect(green).toMatchObject({ kind: 'blue-green', green: { port: 19789 } });
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.environments['production']?.hosts[1]?.strategy)).toBe(true);
    expect(() => {
      (config.redis as { url: string }).url = 'redis://elsewhere';
    }).toThrow(TypeError);
  });

  it('expands ~/ in the local key path only, not in paths on the host', () => {
    const host = parseConfig(VALID_YAML, { env: {}, home: HOME }).environments['staging']?.hosts[0];
    expect(host?.privateKeyPath).toBe('/home/tester/.ssh/id_ed25519');
    expect(host?.stateDir).toBe('~/.openclaw');
    expect(host?.releasesDir).toBe('~/.clawops/releases');
  });

  it('fills ${VAR} in secret fields from the environment', () => {
    const config = parseConfig(VALID_WITH_SECRETS_YAML, {
      env: { SLACK_BOT_TOKEN: 'xoxb-123', SLACK_APP_TOKEN: 'xapp-456', REDIS_PASSWORD: 'pw' },
      home: HOME,
    });
    expect(config.chat.slack?.botToken).toBe('xoxb-123');
    expect(config.chat.slack?.appToken).toBe('xapp-456');
    expect(config.redis.url).toBe('redis://:pw@127.0.0.1:6379');
  });

  it('names every unset variable, once per field', () => {
    expect(problemsOf(VALID_WITH_SECRETS_YAML, { SLACK_APP_TOKEN: 'xapp-456' })).toEqual([
      `chat.slack.botToken: environment variable SLACK_BOT_TOKEN is not set (line ${lineOf(VALID_WITH_SECRETS_YAML, 'botToken')})`,
      `redis.url: environment variable REDIS_PASSWORD is not set (line ${lineOf(VALID_WITH_SECRETS_YAML, 'REDIS_PASSWORD')})`,
    ]);
  });

  it('refuses ${VAR} outside secret fields', () => {
    const problems = problemsOf(fleet('name: prod-b\nstrategy: { kind: pm2 }').replace('10.0.2.11', '${PROD_B_ADDRESS}'), { PROD_B_ADDRESS: '10.0.0.1' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^environments\.production\.hosts\[1\]\.address: \$\{PROD_B_ADDRESS\} is not replaced here: .*chat\.slack\.botToken/);
  });

  it('reports every schema problem with its path, in file order', () => {
    const text = THREE_MISTAKES_YAML;
    expect(problemsOf(text)).toEqual([
      `environments.production.hosts[0].strategy.kind: expected one of pm2, systemd, blue-green, docker-compose, docker-swarm, got "pm3" (line ${lineOf(text, 'pm3')})`,
      `environments.production.hosts[1].port: expected a number, got "22a" (line ${lineOf(text, '22a')})`,
      `windows[0].environments[0]: unknown environment "prodution"; defined: staging, production (line ${lineOf(text, 'prodution')})`,
    ]);
  });

  it('flags a host name used twice in the fleet', () => {
    const text = VALID_YAML.replace('name: prod-b', 'name: stage-1');
    expect(problemsOf(text)).toEqual([
      `environments.production.hosts[1].name: host name "stage-1" is already used by environments.staging.hosts[0]; host names must be unique in the whole fleet (line ${lineOf(text, 'stage-1', 2)})`,
    ]);
  });

  it('flags blue-green ports whose derived ranges overlap, and a shared state dir', () => {
    const problems = problemsOf(fleet(`
name: prod-b
strategy:
  kind: blue-green
  publicUrl: https://openclaw.example.com
  green: { port: 18790, stateDir: ~/.openclaw/, app: openclaw-green }`));
    expect(problems).toEqual([
      expect.stringMatching(/^environments\.production\.hosts\[1\]\.strategy\.green\.port: green's ports 18790\.\.18900 overlap blue's 18789\.\.18899 .*at least 111 apart/),
      expect.stringMatching(/^environments\.production\.hosts\[1\]\.strategy\.green\.stateDir: must differ from blue's state dir "~\/\.openclaw"/),
    ]);
  });

  it('accepts blue-green colors exactly 111 ports apart', () => {
    const text = fleet(`
name: prod-b
strategy:
  kind: blue-green
  publicUrl: https://openclaw.example.com
  green: { port: 18900, stateDir: ~/.openclaw-green, app: openclaw-green }`);
    expect(parseConfig(text, { env: {}, home: HOME }).environments['production']?.hosts[1]?.strategy).toMatchObject({ green: { port: 18900 } });
  });

  it('checks the environments that authorization rules name', () => {
    const text = `${VALID_YAML}
authorization:
  - slackUsers: [U1]
    commands: [upgrade]
    environments: [staging, prod]
`;
    expect(problemsOf(text)).toEqual([`authorization[0].environments[1]: unknown environment "prod"; defined: staging, production (line ${lineOf(text, '[staging, prod]')})`]);
  });

  it('names unknown keys, so a typo is not silently ignored', () => {
    const text = fleet('name: prod-b\nstrategy: { kind: pm2 }\nparalellism: 2');
    expect(problemsOf(text)).toEqual([
      `environments.production.hosts[1]: unknown key "paralellism" (check its spelling and indentation) (line ${lineOf(text, 'paralellism')})`,
    ]);
  });

  it('reports a missing required field at its parent', () => {
    const text = fleet('name: prod-b');
    expect(problemsOf(text)).toEqual([`environments.production.hosts[1].strategy: required: expected a mapping (key: value) (line ${lineOf(text, '10.0.2.11')})`]);
  });

  it('does not echo the value of a secret field', () => {
    const problems = problemsOf(`${VALID_YAML}\nredis:\n  url: http://:\${PW}@db\n`, { PW: 'hunter2-secret' });
    expect(problems).toEqual([expect.stringMatching(/^redis\.url: expected a redis:\/\/ or rediss:\/\/ URL/)]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('supports YAML anchors in top-level x- keys, and merge keys', () => {
    const text = `
x-host: &host
  user: deploy
  hostKey: ${KEY_A}
  strategy: { kind: pm2 }
environments:
  production:
    hosts:
      - { <<: *host, name: prod-a, address: 10.0.2.10 }
      - { <<: *host, name: prod-b, address: 10.0.2.11, user: other }
`;
    const hosts = parseConfig(text, { env: {}, home: HOME }).environments['production']?.hosts;
    expect(hosts?.map((host) => [host.name, host.user, host.hostKey, host.strategy.kind])).toEqual([
      ['prod-a', 'deploy', KEY_A, 'pm2'],
      ['prod-b', 'other', KEY_A, 'pm2'],
    ]);
  });

  it('gives YAML syntax errors with file:line:column', () => {
    const problems = problemsOf('environments:\n  staging:\n    hosts: [\n  prod: 1\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^clawops\.yml:4:\d+: /);
  });

  it('gives duplicate keys as syntax errors', () => {
    expect(problemsOf('environments: {}\nenvironments: {}\n')).toEqual([expect.stringMatching(/^clawops\.yml:2:1: Map keys must be unique/)]);
  });

  it('says so when the file is empty', () => {
    expect(problemsOf('# nothing yet\n')).toEqual([expect.stringContaining('the file is empty')]);
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clawops-config-'));
    await writeFile(join(dir, 'clawops.yml'), VALID_YAML);
    await writeFile(join(dir, 'other.yml'), VALID_YAML.replace('stage-1', 'stage-one'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads ./clawops.yml by default', async () => {
    const config = await loadConfig({ env: { HOME }, cwd: dir });
    expect(config.environments['staging']?.hosts[0]?.name).toBe('stage-1');
  });

  it('prefers --config over CLAWOPS_CONFIG, and CLAWOPS_CONFIG over the default', async () => {
    const fromEnv = await loadConfig({ env: { HOME, CLAWOPS_CONFIG: 'other.yml' }, cwd: dir });
    expect(fromEnv.environments['staging']?.hosts[0]?.name).toBe('stage-one');
    const fromFlag = await loadConfig({ file: join(dir, 'clawops.yml'), env: { HOME, CLAWOPS_CONFIG: 'other.yml' }, cwd: dir });
    expect(fromFlag.environments['staging']?.hosts[0]?.name).toBe('stage-1');
  });

  it('expands ~/ with the HOME it is given', async () => {
    const config = await loadConfig({ env: { HOME: '/srv/ops' }, cwd: dir });
    expect(config.environments['staging']?.hosts[0]?.privateKeyPath).toBe('/srv/ops/.ssh/id_ed25519');
  });

  it('throws CONFIG_NOT_FOUND naming the path it tried', async () => {
    const error = await loadConfig({ file: 'missing.yml', env: { HOME }, cwd: dir }).catch((caught: unknown) => caught);
    expect(isClawopsError(error, 'CONFIG_NOT_FOUND')).toBe(true);
    expect((error as ClawopsError).message).toContain(join(dir, 'missing.yml'));
    expect((error as ClawopsError).details['file']).toBe(join(dir, 'missing.yml'));
  });

  it('puts the file name and the problem count in the error message', async () => {
    await writeFile(join(dir, 'bad.yml'), THREE_MISTAKES_YAML);
    const error = await loadConfig({ file: 'bad.yml', env: { HOME }, cwd: dir }).catch((caught: unknown) => caught);
    expect(isClawopsError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as ClawopsError).message.split('\n')[0]).toBe(`${join(dir, 'bad.yml')}: 3 problems:`);
  });
});
