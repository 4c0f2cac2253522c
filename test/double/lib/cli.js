// The CLI proper: argument parsing and dispatch. Entered from openclaw.js (the bin) or dist/entry.js.
import { existsSync } from 'node:fs';
import { loadBuild, PACKAGE_ROOT } from './build.js';

const build = loadBuild();
const argv = process.argv.slice(2);

if (argv.length === 1 && ['--version', '-V', '-v'].includes(argv[0])) {
  process.stdout.write(`OpenClaw ${build.version} (${build.commit})\n`);
  process.exit(0);
}

// Like the real launcher: an install whose lifecycle script did not run refuses to start.
if (existsSync(`${PACKAGE_ROOT}/.openclaw-lifecycle-pending`)) {
  process.stderr.write('openclaw: package lifecycle is incomplete. Reinstall with package scripts enabled, then retry. postinstall did not run (install with --allow-scripts=openclaw)\n');
  process.exit(1);
}

/** Commands: path -> { flags (boolean options), values (options taking a value), args (positional names) }. */
const COMMANDS = {
  'update status': { flags: ['json'], values: ['timeout'], args: [] },
  'backup create': { flags: ['json', 'verify', 'dry-run', 'only-config', 'no-include-workspace'], values: ['output'], args: [] },
  'backup verify': { flags: ['json'], values: [], args: ['archive'] },
  'backup restore': { flags: ['json'], values: ['target'], args: ['archive'] },
  doctor: { flags: ['non-interactive', 'fix', 'post-upgrade', 'yes', 'repair', 'deep'], values: [], args: [] },
  'gateway run': { flags: ['force', 'verbose', 'allow-unconfigured'], values: ['port', 'bind', 'profile', 'token'], args: [] },
  'gateway status': { flags: ['json', 'deep', 'require-rpc', 'no-probe'], values: ['port', 'url', 'timeout', 'token'], args: [] },
  'database preflight': { flags: ['json'], values: [], args: ['path'] },
  'backup sqlite create': { flags: ['json', 'global'], values: ['repository', 'agent'], args: [] },
  'gateway call': { flags: ['json', 'expect-final'], values: ['params', 'port', 'timeout', 'token'], args: ['method'] },
  // Measured on 2026.9.5: no --port here (the gateway port comes from OPENCLAW_GATEWAY_PORT or
  // the config), and an unknown option is refused in OpenClaw's own words, not commander's.
  'channels status': { flags: ['json', 'probe'], values: ['timeout'], args: [], unknownOption: (name) => `OpenClaw does not recognize option "--${name}".` },
};

function usageError(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

function camel(name) {
  return name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

function parse(words) {
  let key = Object.keys(COMMANDS).find((name) => name.split(' ').every((part, i) => words[i] === part));
  if (!key) {
    const first = words.find((word) => !word.startsWith('-'));
    usageError(first ? `unknown command '${words.filter((w) => !w.startsWith('-')).slice(0, 2).join(' ')}'` : 'missing command');
  }
  const spec = COMMANDS[key];
  const opts = {};
  const positional = [];
  const rest = words.slice(key.split(' ').length);
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    if (!word.startsWith('--')) {
      positional.push(word);
      continue;
    }
    const [name, inline] = word.slice(2).split(/=(.*)/s);
    if (spec.flags.includes(name)) opts[camel(name)] = true;
    else if (spec.values.includes(name)) {
      const value = inline ?? rest[++i];
      if (value === undefined) usageError(`option '--${name} <value>' argument missing`);
      opts[camel(name)] = value;
    } else if (spec.unknownOption) {
      process.stderr.write(`${spec.unknownOption(name)}\n`);
      process.exit(1);
    } else usageError(`unknown option '--${name}'`);
  }
  if (positional.length < spec.args.length) usageError(`missing required argument '${spec.args[positional.length]}'`);
  if (positional.length > spec.args.length) usageError(`too many arguments for '${key}'. Expected ${spec.args.length} argument${spec.args.length === 1 ? '' : 's'} but got ${positional.length}.`);
  return { key, opts, positional };
}

async function main() {
  const { key, opts, positional } = parse(argv);
  // Route via --profile like the real CLI: each profile is its own state dir.
  if (opts.profile && !process.env.OPENCLAW_STATE_DIR) process.env.OPENCLAW_STATE_DIR = `${process.env.HOME}/.openclaw-${opts.profile}`;
  switch (key) {
    case 'update status': return (await import('./commands.js')).updateStatus(opts, build);
    case 'database preflight': return (await import('./commands.js')).databasePreflight(positional[0], opts, build);
    case 'backup sqlite create': return (await import('./commands.js')).backupSqliteCreate(opts, build);
    case 'doctor': return (await import('./commands.js')).doctor(opts, build);
    case 'gateway run': return (await import('./gateway.js')).gatewayRun(opts, build);
    case 'gateway status': return (await import('./gateway.js')).gatewayStatus(opts, build);
    case 'gateway call': return (await import('./rpc.js')).gatewayCall(positional[0], opts);
    case 'channels status': return (await import('./rpc.js')).channelsStatus(opts);
    default: break;
  }
  const backup = await import('./backup.js');
  const emit = (result, format) => process.stdout.write(`${opts.json ? JSON.stringify(result, null, 2) : format(result)}\n`);
  if (key === 'backup create') return emit(backup.backupCreate(opts, build), backup.formatCreate);
  if (key === 'backup verify') return emit(backup.backupVerify(positional[0]), backup.formatVerify);
  if (key === 'backup restore') {
    if (!opts.target) usageError("required option '--target <dir>' not specified");
    return emit(backup.backupRestore(positional[0], opts.target, build), backup.formatRestore);
  }
  return undefined;
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
