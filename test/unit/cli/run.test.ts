/** The dispatcher and top-level error handler, in process, with a command list of its own. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ClawopsError } from '../../../src/errors.js';
import { parseCliArgs } from '../../../src/cli/args.js';
import { runCli, type CliDeps } from '../../../src/cli/run.js';
import type { CliCommandSpec, CliRun } from '../../../src/cli/types.js';
import type { LoadConfigOptions } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log/logger.js';
import { configSchema } from '../../../src/config/schema.js';
import { ALL_SECRET_SECTIONS } from '../../../src/config/secret-sections.js';
import { COMMANDS } from '../../../src/cli/command-list.js';

interface Harness {
  deps: CliDeps;
  out: () => string;
  err: () => string;
  log: () => string;
  calls: { command: string; args: string[]; configFile: string | undefined }[];
  loads: LoadConfigOptions[];
}

function harness(behaviour: Record<string, CliRun> = {}): Harness {
  let out = '';
  let err = '';
  let log = '';
  const calls: Harness['calls'] = [];
  const loads: LoadConfigOptions[] = [];
  const spec = (path: string[], summary: string): CliCommandSpec => ({
    path,
    summary,
    usage: `Usage: clawops ${path.join(' ')} [--fast]`,
    load: async () => ({
      run: async (args, context) => {
        calls.push({ command: path.join(' '), args, configFile: context.configFile });
        const custom = behaviour[path.join(' ')];
        return custom ? custom(args, context) : 0;
      },
    }),
  });
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      log += chunk.toString();
      callback();
    },
  });
  const deps: CliDeps = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: {},
    cwd: '/srv',
    signal: new AbortController().signal,
    logger: createLogger({ level: 'info', destination: logStream, pretty: false }),
    loadConfig: async (options) => {
      loads.push(options);
      throw new ClawopsError('CONFIG_NOT_FOUND', `config file not found: ${options.file ?? 'default'}`);
    },
    commands: [spec(['discord'], 'Discord things'), spec(['discord', 'register'], 'Register slash commands'), spec(['worker'], 'Run a worker'), spec(['config', 'check'], 'Check config')],
  };
  return { deps, out: () => out, err: () => err, log: () => log, calls, loads };
}

describe('runCli dispatch', () => {
  it('runs the command with the longest matching path and passes the rest', async () => {
    const h = harness();
    expect(await runCli(['discord', 'register', '--guild', 'g1'], h.deps)).toBe(0);
    expect(await runCli(['discord', 'list'], h.deps)).toBe(0);
    expect(h.calls).toEqual([
      { command: 'discord register', args: ['--guild', 'g1'], configFile: undefined },
      { command: 'discord', args: ['list'], configFile: undefined },
    ]);
  });

  it('returns the command exit code', async () => {
    const h = harness({ worker: async () => 3 });
    expect(await runCli(['worker'], h.deps)).toBe(3);
  });

  it('hands --config to the command and to loadConfig', async () => {
    const h = harness({ 'config check': async (args, context) => (await context.loadConfig({ file: args[0] }), 0) });
    expect(await runCli(['--config', 'fleet.yml', 'config', 'check'], h.deps)).toBe(2);
    expect(await runCli(['--config=fleet.yml', 'config', 'check', 'other.yml'], h.deps)).toBe(2);
    expect(await runCli(['config', 'check', '--config', 'after.yml'], h.deps)).toBe(2);
    expect(await runCli(['-c', 'before.yml', 'config', 'check', '-c', 'after.yml'], h.deps)).toBe(2);
    expect(h.calls.map((call) => [call.configFile, call.args])).toEqual([['fleet.yml', []], ['fleet.yml', ['other.yml']], ['after.yml', []], ['after.yml', []]]);
    expect(h.loads.map((options) => [options.file, options.cwd])).toEqual([['fleet.yml', '/srv'], ['other.yml', '/srv'], ['after.yml', '/srv'], ['after.yml', '/srv']]);
  });

  it('prints general help on `help` and --help with exit 0, and on no command with exit 2', async () => {
    const help = harness();
    expect(await runCli(['help'], help.deps)).toBe(0);
    expect(help.out()).toContain('discord register');
    expect(help.out()).toContain('Register slash commands');
    const none = harness();
    expect(await runCli([], none.deps)).toBe(2);
    expect(none.err()).toContain('no command given');
    expect(none.err()).toContain('Usage: clawops');
  });

  it("prints a command's usage for `help <command>` and `<command> --help` without running it", async () => {
    const h = harness();
    expect(await runCli(['help', 'worker'], h.deps)).toBe(0);
    expect(await runCli(['worker', '--help'], h.deps)).toBe(0);
    expect(h.out()).toBe('Run a worker\n\nUsage: clawops worker [--fast]\n'.repeat(2));
    expect(h.calls).toEqual([]);
  });

  it('lists the commands of a group named without one', async () => {
    const h = harness();
    expect(await runCli(['config'], h.deps)).toBe(2);
    expect(h.err()).toContain('clawops config check');
  });

  it('rejects unknown commands, help topics and global options with exit 2', async () => {
    const h = harness();
    expect(await runCli(['deploy'], h.deps)).toBe(2);
    expect(await runCli(['help', 'deploy'], h.deps)).toBe(2);
    expect(await runCli(['--verbose', 'worker'], h.deps)).toBe(2);
    expect(await runCli(['--config'], h.deps)).toBe(2);
    expect(h.err().split('\n').filter(Boolean)).toEqual([
      'clawops: unknown command "deploy"; run `clawops help` for the list',
      'clawops help: no command "deploy"; run `clawops help` for the list',
      'clawops: unknown option --verbose; run `clawops help`',
      'clawops: --config needs a file: --config FILE',
    ]);
    expect(h.calls).toEqual([]);
  });
});

describe('runCli errors', () => {
  it('prints a usage error from a command with the command name and exit 2', async () => {
    const h = harness({ worker: async (args) => (parseCliArgs(args, { fast: { type: 'boolean' } }), 0) });
    expect(await runCli(['worker', '--slow'], h.deps)).toBe(2);
    expect(h.err()).toBe("clawops: worker: Unknown option '--slow' (see `clawops worker --help`)\n");
  });

  it('exits 2 for config errors and 1 for other ClawopsErrors, printing only the message', async () => {
    const config = harness({ worker: async () => {
      throw new ClawopsError('CONFIG_INVALID', 'clawops.yml: 1 problem:\nlog.level: expected one of info, got "x"');
    } });
    expect(await runCli(['worker'], config.deps)).toBe(2);
    expect(config.err()).toBe('clawops: clawops.yml: 1 problem:\nlog.level: expected one of info, got "x"\n');
    const failed = harness({ worker: async () => {
      throw new ClawopsError('SSH_CONNECT_FAILED', 'cannot reach prod-a: connection refused');
    } });
    expect(await runCli(['worker'], failed.deps)).toBe(1);
    expect(failed.err()).toBe('clawops: cannot reach prod-a: connection refused\n');
    expect(failed.log()).toBe('');
  });

  it('reports an unexpected error in one line and logs its stack', async () => {
    const h = harness({ worker: async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')\nsecond line");
    } });
    expect(await runCli(['worker'], h.deps)).toBe(1);
    expect(h.err()).toBe("clawops: internal error: TypeError: Cannot read properties of undefined (reading 'x') (details in the log)\n");
    const entry = JSON.parse(h.log()) as { msg: string; err: { stack: string } };
    expect(entry.msg).toBe('internal error');
    expect(entry.err.stack).toContain('run.test.ts');
  });
});

describe('parseCliArgs', () => {
  it('parses declared options and positionals', () => {
    const parsed = parseCliArgs(['--env', 'staging', 'file.yml'], { env: { type: 'string' } }, 1);
    expect(parsed.values.env).toBe('staging');
    expect(parsed.positionals).toEqual(['file.yml']);
  });

  it('turns bad arguments into COMMAND_INVALID', () => {
    expect(() => parseCliArgs(['a', 'b'], {}, 1)).toThrow(/unexpected argument "b"/);
    expect(() => parseCliArgs(['--env'], { env: { type: 'string' } })).toThrow(ClawopsError);
  });
});

describe('runCli config loading', () => {
  it('applies the log level of the loaded config to the logger', async () => {
    const h = harness({ worker: async (_args, context) => {
      await context.loadConfig();
      context.logger.info('hidden at warn');
      context.logger.warn('shown at warn');
      return 0;
    } });
    h.deps.loadConfig = async () => configSchema.parse({
      environments: { staging: { hosts: [{ name: 'a', address: 'x', hostKey: `SHA256:${'A'.repeat(43)}`, strategy: { kind: 'pm2' } }] } },
      log: { level: 'warn' },
    });
    expect(await runCli(['worker'], h.deps)).toBe(0);
    expect(h.log()).not.toContain('hidden at warn');
    expect(h.log()).toContain('shown at warn');
  });

  it('asks for the secrets the command declares (all when it declares none), or those a run narrows to', async () => {
    const loads = async (_args: string[], context: Parameters<CliRun>[1], needs?: []) => (await context.loadConfig(needs ? { needs } : {}).catch(() => undefined), 0);
    const h = harness({ worker: (args, context) => loads(args, context), 'config check': (args, context) => loads(args, context, []) });
    const history: CliCommandSpec = { path: ['history'], summary: '', usage: '', secrets: ['redis'], load: async () => ({ run: loads }) };
    h.deps.commands = [...(h.deps.commands ?? []), history];
    for (const line of [['worker'], ['config', 'check'], ['history']]) await runCli(line, h.deps);
    expect(h.loads.map((options) => options.needs)).toEqual([ALL_SECRET_SECTIONS, [], ['redis']]);
  });

  it('declares chat secrets only for the commands that serve chat', () => {
    const declared = Object.fromEntries(COMMANDS.map((spec) => [spec.path.join(' '), spec.secrets ?? 'all']));
    expect(declared).toEqual({
      'config check': [], 'config schema': [], demo: [], start: 'all', gateway: 'all',
      chat: ['redis'], worker: ['redis'], say: ['redis'], plan: ['redis'], history: ['redis'], 'discord register': ['chat.discord'],
    });
  });
});
