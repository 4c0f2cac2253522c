/** Runs the real `clawops` binary, as a user would, on config files in a temp dir. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_A, KEY_B, THREE_MISTAKES_YAML, VALID_WITH_SECRETS_YAML, VALID_YAML } from '../config/fixtures.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'clawops.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;

function clawops(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    // A clean environment: no CLAWOPS_CONFIG or tokens leak in from the machine running the tests.
    execFile(process.execPath, [BIN, ...args], { cwd: dir, env: { PATH: process.env['PATH'] ?? '', HOME: dir, ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** No stack frames on stderr: bad input is reported plainly. */
function expectNoStack(run: Run): void {
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clawops-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.concurrent('clawops config check (real process)', () => {
  it('reports three seeded mistakes in one run, each on its own line, and exits 2', async () => {
    const path = await file('three.yml', THREE_MISTAKES_YAML);
    const run = await clawops(['config', 'check', path]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`clawops: ${path}: 3 problems:`);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^environments\.production\.hosts\[0\]\.strategy\.kind: expected one of pm2, systemd, blue-green, docker-compose, docker-swarm, got "pm3"/),
      expect.stringMatching(/^environments\.production\.hosts\[1\]\.port: expected a number, got "22a"/),
      expect.stringMatching(/^windows\[0\]\.environments\[0\]: unknown environment "prodution"/),
    ]);
    expectNoStack(run);
  });

  it('prints a one-line summary of a valid config and exits 0', async () => {
    const path = await file('valid.yml', VALID_YAML);
    const run = await clawops(['config', 'check', path]);
    expect(run).toEqual({ code: 0, stdout: 'OK: 2 environments (staging: 1 host, production: 2 hosts), strategies pm2, blue-green; slack: off, discord: off\n', stderr: '' });
  });

  it('reads the file named by CLAWOPS_CONFIG, and --config over it', async () => {
    await file('from-env.yml', VALID_YAML);
    const fromEnv = await clawops(['config', 'check'], { CLAWOPS_CONFIG: 'from-env.yml' });
    expect(fromEnv.code).toBe(0);
    const flagWins = await clawops(['--config', 'nowhere.yml', 'config', 'check'], { CLAWOPS_CONFIG: 'from-env.yml' });
    expect(flagWins.code).toBe(2);
    expect(flagWins.stderr).toContain(join(dir, 'nowhere.yml'));
  });

  it('says which file it tried when the config is missing', async () => {
    const run = await clawops(['config', 'check']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`clawops: config file not found: ${join(dir, 'clawops.yml')} (choose one with --config FILE or CLAWOPS_CONFIG)\n`);
  });

  it('gives a YAML syntax error with line and column', async () => {
    const path = await file('syntax.yml', 'environments:\n  staging:\n    hosts: [\n  prod: 1\n');
    const run = await clawops(['config', 'check', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^${path.replaceAll('.', '\\.')}:4:\\d+: `, 'm'));
    expectNoStack(run);
  });

  it('warns of an unset environment variable (an error with --strict) and never prints a set secret', async () => {
    const path = await file('secrets.yml', VALID_WITH_SECRETS_YAML);
    const env = { SLACK_BOT_TOKEN: 'xoxb-SECRET-VALUE', SLACK_APP_TOKEN: 'xapp-1' };
    const lenient = await clawops(['config', 'check', path], env);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/^warning: redis\.url: environment variable REDIS_PASSWORD is not set; clawops start, .* refuse to run without it \(line \d+\)$/m);
    const run = await clawops(['config', 'check', '--strict', path], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^redis\.url: environment variable REDIS_PASSWORD is not set/m);
    for (const output of [lenient.stdout, lenient.stderr, run.stdout, run.stderr]) expect(output).not.toContain('SECRET-VALUE');
    const ok = await clawops(['config', 'check', path], { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', REDIS_PASSWORD: 'pw' });
    expect(ok.stdout).toMatch(/^OK: .*slack: on \(socket mode\), discord: off\n$/);
  });

  it('refuses ${VAR} in a field that is not a secret', async () => {
    const path = await file('interpolated.yml', VALID_YAML.replace('address: 10.0.1.10', 'address: ${STAGE_HOST}'));
    const run = await clawops(['config', 'check', path], { STAGE_HOST: '10.0.0.9' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^environments\.staging\.hosts\[0\]\.address: \$\{STAGE_HOST\} is not replaced here/m);
  });

  it('rejects a host name used in two environments', async () => {
    const path = await file('duplicate.yml', VALID_YAML.replace('name: prod-a', 'name: stage-1'));
    const run = await clawops(['config', 'check', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^environments\.production\.hosts\[0\]\.name: host name "stage-1" is already used by environments\.staging\.hosts\[0\]/m);
  });

  it('rejects blue-green colors whose port ranges overlap', async () => {
    const path = await file('overlap.yml', `
environments:
  production:
    hosts:
      - name: prod-a
        address: 10.0.2.10
        hostKey: ${KEY_A}
        strategy:
          kind: blue-green
          publicUrl: https://openclaw.example.com
          blue: { port: 18789, stateDir: ~/.openclaw, app: blue }
          green: { port: 18790, stateDir: ~/.openclaw-green, app: green }
      - name: prod-b
        address: 10.0.2.11
        hostKey: ${KEY_B}
        strategy: { kind: pm2 }
`);
    const run = await clawops(['config', 'check', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^environments\.production\.hosts\[0\]\.strategy\.green\.port: green's ports 18790\.\.18900 overlap blue's 18789\.\.18899/m);
  });
});

describe.concurrent('clawops (real process)', () => {
  it('accepts clawops.example.yml once its secrets are in the environment', async () => {
    const secrets = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', SLACK_SIGNING_SECRET: 's', DISCORD_TOKEN: 'd', REDIS_URL: 'redis://127.0.0.1:6379' };
    const run = await clawops(['config', 'check', join(ROOT, 'clawops.example.yml')], secrets);
    expect(run).toEqual({ code: 0, stdout: 'OK: 2 environments (staging: 1 host, production: 2 hosts), strategies pm2, blue-green; slack: on (socket mode), discord: on\n', stderr: '' });
  });

  it('checks clawops.example.yml with no secrets in the environment: exit 0, a warning naming each unset variable', async () => {
    const run = await clawops(['config', 'check', join(ROOT, 'clawops.example.yml')]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const warnings = run.stdout.split('\n').filter((line) => line.startsWith('warning: '));
    expect(warnings).toEqual([
      expect.stringMatching(/^warning: chat\.slack\.botToken: environment variable SLACK_BOT_TOKEN is not set; clawops start and gateway refuse to run without it \(line \d+\)$/),
      expect.stringMatching(/^warning: chat\.slack\.appToken: environment variable SLACK_APP_TOKEN is not set; /),
      expect.stringMatching(/^warning: chat\.slack\.signingSecret: environment variable SLACK_SIGNING_SECRET is not set; /),
      expect.stringMatching(/^warning: chat\.discord\.token: environment variable DISCORD_TOKEN is not set; clawops start, gateway and discord register refuse/),
      expect.stringMatching(/^warning: redis\.url: environment variable REDIS_URL is not set; clawops start, chat, gateway, worker, say, plan and history refuse/),
    ]);
  });

  it('config check --strict fails on clawops.example.yml without its secrets, naming each (exit 2)', async () => {
    const run = await clawops(['config', 'check', '--strict', join(ROOT, 'clawops.example.yml')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toMatch(/: 5 problems:$/);
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'DISCORD_TOKEN', 'REDIS_URL']) {
      expect(run.stderr).toContain(`environment variable ${name} is not set`);
    }
  });

  it('config schema prints the committed JSON Schema', async () => {
    const run = await clawops(['config', 'schema']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(await readFile(join(ROOT, 'schema', 'clawops.schema.json'), 'utf8'));
  });

  it('rejects an unknown command with a pointer to help and exit 2', async () => {
    const run = await clawops(['upgrayedd']);
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'clawops: unknown command "upgrayedd"; run `clawops help` for the list\n' });
  });

  it('prints help on --help and exits 0', async () => {
    const run = await clawops(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('config check');
    expect(run.stdout).toContain('config schema');
  });
});
