/**
 * The fleet config (`clawops.yml`): one zod schema that holds every default. Pure: no I/O.
 * The loader (load.ts) reads YAML, interpolates secrets, validates with this schema and freezes.
 */
import { z } from 'zod';
import { checkBlueGreen, checkFleet, type CrossFieldProblem } from './schema-checks.js';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
const name = z.string().regex(NAME_PATTERN, 'use lowercase letters, digits and dashes, starting with a letter or digit');

/** `SHA256:` + unpadded base64 of the host key's SHA-256, as `ssh-keygen -lf key.pub -E sha256` prints it. */
export const HOST_KEY_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** An argv template: each element is one argument; `{name}` placeholders are filled per element, never split. */
const argv = z.array(z.string().min(1)).min(1);
const absolutePath = z.string().regex(/^(\/|~\/)/, 'must be an absolute path (or start with ~/)');
const port = z.number().int().min(1).max(65535);
const httpUrl = z.url({ protocol: /^https?$/ });

const pm2Strategy = z.strictObject({
  kind: z.literal('pm2'),
  /** The PM2 app name (`pm2 reload <app>`). */
  app: z.string().min(1).default('openclaw'),
  /** The ecosystem file on the host; checked for wait_ready/listen_timeout/kill_timeout/exec_mode. */
  ecosystemFile: absolutePath.optional(),
  /** PM2_HOME on the host; unset = the user's default. */
  pm2Home: absolutePath.optional(),
  port: port.default(18789),
});

const systemdStrategy = z.strictObject({
  kind: z.literal('systemd'),
  unit: z.string().regex(/^[A-Za-z0-9@._-]+$/).default('openclaw.service'),
  /** Prefix systemctl with `sudo -n` (the SSH user is not root). */
  sudo: z.boolean().default(false),
  /** `--user` units. */
  user: z.boolean().default(false),
  port: port.default(18789),
});

const colorSchema = z.strictObject({
  port,
  /** OPENCLAW_STATE_DIR for this color. */
  stateDir: absolutePath,
  /** The PM2 app that runs this color. */
  app: z.string().min(1),
});

const blueGreenStrategy = z.strictObject({
  kind: z.literal('blue-green'),
  /** Green's base port must be >= 110 away from blue's: OpenClaw derives browser ports up to base + 110. */
  blue: colorSchema.default({ port: 18789, stateDir: '~/.openclaw', app: 'openclaw-blue' }),
  green: colorSchema.default({ port: 19789, stateDir: '~/.openclaw-green', app: 'openclaw-green' }),
  pm2Home: absolutePath.optional(),
  nginx: z.strictObject({
    /** The file clawops rewrites; it holds only the upstream block. */
    upstreamFile: absolutePath.default('/etc/nginx/conf.d/openclaw-upstream.conf'),
    upstreamName: z.string().regex(/^[A-Za-z0-9_]+$/).default('openclaw_backend'),
    /** The loopback address the colors listen on, as nginx reaches them. */
    backendHost: z.string().default('127.0.0.1'),
    test: argv.default(['nginx', '-t']),
    reload: argv.default(['nginx', '-s', 'reload']),
    sudo: z.boolean().default(false),
  }).prefault({}),
  /** The URL users reach through nginx; checked after the switch. */
  publicUrl: httpUrl,
}).superRefine((strategy, ctx) => addProblems(ctx, checkBlueGreen(strategy)));

const composeStrategy = z.strictObject({
  kind: z.literal('docker-compose'),
  file: absolutePath,
  service: z.string().min(1).default('openclaw'),
  projectName: z.string().optional(),
  /** The compose file reads the tag from this variable, e.g. `image: openclaw/openclaw:${OPENCLAW_VERSION}`. */
  versionVariable: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('OPENCLAW_VERSION'),
  port: port.default(18789),
});

const swarmStrategy = z.strictObject({
  kind: z.literal('docker-swarm'),
  service: z.string().min(1).default('openclaw'),
  /** Image reference with a `{version}` placeholder. */
  image: z.string().includes('{version}').default('openclaw/openclaw:{version}'),
  port: port.default(18789),
});

export const strategySchema = z.discriminatedUnion('kind', [
  pm2Strategy, systemdStrategy, blueGreenStrategy, composeStrategy, swarmStrategy,
]);
export type StrategyKind = z.infer<typeof strategySchema>['kind'];
export const STRATEGY_KINDS = ['pm2', 'systemd', 'blue-green', 'docker-compose', 'docker-swarm'] as const satisfies readonly StrategyKind[];

export const hostSchema = z.strictObject({
  name,
  address: z.string().min(1),
  port: port.default(22),
  user: z.string().min(1).default('openclaw'),
  privateKeyPath: absolutePath.default('~/.ssh/id_ed25519'),
  /** Pinned host key. Connections to a host whose key differs are refused. */
  hostKey: z.string().regex(HOST_KEY_PATTERN, 'expected SHA256:<43 base64 chars>, as printed by `ssh-keygen -lf key.pub -E sha256`'),
  strategy: strategySchema,
  /** Base URL of the gateway as seen from the host itself (probed over SSH with curl). */
  healthUrl: httpUrl.optional(),
  /** nginx `stub_status` URL as seen from the host: its request counter feeds the traffic histogram behind `--window auto`. */
  trafficUrl: httpUrl.optional(),
  /** Where each OpenClaw version is installed side by side (`<releasesDir>/<version>`), and the `current` link. */
  releasesDir: absolutePath.default('~/.clawops/releases'),
  backupDir: absolutePath.default('~/.clawops/backups'),
  /** The live gateway's state directory (OPENCLAW_STATE_DIR). */
  stateDir: absolutePath.default('~/.openclaw'),
  /** Extra environment for every command on this host (e.g. PATH to a Node runtime). */
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
});

export const environmentSchema = z.strictObject({
  hosts: z.array(hostSchema).min(1),
  /** Hosts upgraded at once within the environment (rolling batches). */
  parallelism: z.number().int().min(1).default(1),
  /** Failed hosts tolerated, as a percentage of the environment, before the rollout stops. */
  maxFailPercent: z.number().min(0).max(100).default(0),
  /** Staging is upgraded and checked before any environment that is not staging. */
  staging: z.boolean().default(false),
});

const defaultCommands = {
  version: ['openclaw', '--version'],
  updateStatus: ['openclaw', 'update', 'status', '--json'],
  registryVersion: ['npm', 'view', 'openclaw@{version}', 'version'],
  install: ['npm', 'install', '-g', '--prefix', '{prefix}', 'openclaw@{version}', '--allow-scripts=openclaw'],
  backupCreate: ['openclaw', 'backup', 'create', '--output', '{backupFile}', '--verify', '--json'],
  backupVerify: ['openclaw', 'backup', 'verify', '{backupFile}', '--json'],
  backupRestore: ['openclaw', 'backup', 'restore', '{backupFile}', '--target', '{targetDir}'],
  doctor: ['openclaw', 'doctor', '--non-interactive'],
  gatewayStatus: ['openclaw', 'gateway', 'status', '--json', '--port', '{port}'],
  gatewayRun: ['openclaw', 'gateway', 'run', '--port', '{port}', '--bind', 'loopback'],
  // Run by the OLDER release on a consolidated copy: on the live WAL database it says "indeterminate".
  databaseSnapshot: ['openclaw', 'backup', 'sqlite', 'create', '--global', '--repository', '{repository}', '--json'],
  databasePreflight: ['openclaw', 'database', 'preflight', '{database}', '--json'],
  changelog: ['npm', 'pack', 'openclaw@{version}', '--dry-run', '--json'],
  // Blue-green handoff (src/runbook/handoff.ts): the gateway is picked by OPENCLAW_GATEWAY_PORT in
  // the env (`channels status` has no --port); {method} and {params} are filled on the host.
  gatewayCall: ['openclaw', 'gateway', 'call', '{method}', '--params', '{params}', '--json'],
  channelsStatus: ['openclaw', 'channels', 'status', '--probe', '--json'],
} as const;
export type RunbookCommandName = keyof typeof defaultCommands;

const commandsSchema = z.strictObject(
  Object.fromEntries(Object.keys(defaultCommands).map((key) => [key, argv.optional()])) as Record<RunbookCommandName, z.ZodOptional<typeof argv>>,
);

export const runbookSchema = z.strictObject({
  /** `openclaw-cli`: the real OpenClaw CLI (DESIGN.md §2). Every command can be overridden below. */
  profile: z.literal('openclaw-cli').default('openclaw-cli'),
  commands: commandsSchema.default({}),
  timeouts: z.strictObject({
    commandSeconds: z.number().int().positive().default(120),
    installSeconds: z.number().int().positive().default(600),
    readySeconds: z.number().int().positive().default(60),
  }).prefault({}),
  /** After production is upgraded: periodic health checks; a failure proposes rollback. */
  watch: z.strictObject({
    minutes: z.number().min(0).default(30),
    intervalSeconds: z.number().int().positive().default(60),
  }).prefault({}),
}).transform((value) => ({ ...value, commands: { ...defaultCommands, ...stripUndefined(value.commands) } as Record<RunbookCommandName, readonly string[]> }));

function stripUndefined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

const platformIds = z.array(z.string().min(1)).default([]);

export const approvalsSchema = z.strictObject({
  slack: z.strictObject({ users: platformIds, userGroups: platformIds }).prefault({}),
  discord: z.strictObject({ users: platformIds, roles: platformIds }).prefault({}),
  /** Local terminal users (OS user names, or `--as` names) who may approve: the demo and `clawops say`. */
  terminal: z.strictObject({ users: platformIds }).prefault({}),
  /** Distinct people who must approve a gate. */
  minApprovers: z.number().int().min(1).default(1),
  allowSelfApproval: z.boolean().default(false),
  deadlineMinutes: z.number().int().positive().default(60),
  reactions: z.strictObject({
    approve: z.array(z.string().min(1)).min(1).default(['white_check_mark', '✅']),
    reject: z.array(z.string().min(1)).min(1).default(['x', '❌']),
    postpone: z.array(z.string().min(1)).min(1).default(['octagonal_sign', '🛑']),
  }).prefault({}),
});

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24h)');
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'not an IANA time zone (e.g. Europe/Berlin)');

export const windowSchema = z.strictObject({
  name,
  timezone: timeZone.default('UTC'),
  /** Weekly ranges, e.g. `{days: [sat, sun], start: "02:00", end: "05:00"}`; or a cron expression with a duration. */
  weekly: z.array(z.strictObject({ days: z.array(weekday).min(1), start: hhmm, end: hhmm })).optional(),
  cron: z.string().optional(),
  durationMinutes: z.number().int().positive().optional(),
  environments: z.array(name).optional(),
}).refine((window) => (window.weekly !== undefined) !== (window.cron !== undefined), 'give either `weekly` ranges or `cron` + `durationMinutes`')
  .refine((window) => window.cron === undefined || window.durationMinutes !== undefined, '`cron` needs `durationMinutes`');

export const scheduleSchema = z.strictObject({
  /** Reminders before a scheduled upgrade, in minutes. */
  remindersMinutes: z.array(z.number().int().positive()).default([24 * 60, 60, 10]),
  /** The team's time zone for announcements. */
  timezone: timeZone.default('UTC'),
  /** `--window auto` needs at least this many days of traffic history. */
  minHistoryDays: z.number().int().positive().default(7),
});

export const slackSchema = z.strictObject({
  botToken: z.string().min(1),
  signingSecret: z.string().min(1).optional(),
  appToken: z.string().min(1).optional(),
  mode: z.enum(['http', 'socket']).default('socket'),
  port: port.default(3000),
  /** HTTP mode: the address to listen on (default 0.0.0.0, every interface); `127.0.0.1` behind a reverse proxy on the same machine. */
  host: z.string().min(1).optional(),
  /** Web API base URL (GovSlack, tests). */
  apiUrl: httpUrl.optional(),
  announceChannel: z.string().min(1).optional(),
  approvalsChannel: z.string().min(1).optional(),
}).refine((slack) => slack.mode === 'socket' ? slack.appToken !== undefined : slack.signingSecret !== undefined,
  'socket mode needs `appToken`; http mode needs `signingSecret`');

export const discordSchema = z.strictObject({
  token: z.string().min(1),
  applicationId: z.string().min(1),
  guildId: z.string().min(1).optional(),
  apiUrl: httpUrl.optional(),
  announceChannel: z.string().min(1).optional(),
  approvalsChannel: z.string().min(1).optional(),
});

const commandNames = z.enum(['upgrade', 'rollback', 'status', 'version', 'check', 'changelog', 'backup', 'doctor', 'schedule', 'cancel', 'history', 'help', '*']);

export const authorizationRuleSchema = z.strictObject({
  slackUsers: platformIds,
  slackUserGroups: platformIds,
  discordUsers: platformIds,
  discordRoles: platformIds,
  terminalUsers: platformIds,
  commands: z.array(commandNames).min(1),
  environments: z.array(z.union([name, z.literal('*')])).default(['*']),
});

export const configSchema = z.strictObject({
  environments: z.record(name, environmentSchema).refine((envs) => Object.keys(envs).length > 0, 'define at least one environment'),
  runbook: runbookSchema.prefault({}),
  approvals: approvalsSchema.prefault({}),
  windows: z.array(windowSchema).default([]),
  schedule: scheduleSchema.prefault({}),
  chat: z.strictObject({
    slack: slackSchema.optional(),
    discord: discordSchema.optional(),
  }).prefault({}),
  redis: z.strictObject({ url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'), prefix: z.string().default('clawops') }).prefault({}),
  /** Who may run what. Empty = everyone may run read-only commands, nobody may change anything. */
  authorization: z.array(authorizationRuleSchema).default([]),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') }).prefault({}),
// Runs even when other fields failed, so a single `config check` reports every problem.
}).superRefine((config, ctx) => addProblems(ctx, checkFleet(config)), { when: () => true });

function addProblems(ctx: z.RefinementCtx, problems: CrossFieldProblem[]): void {
  for (const problem of problems) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message, input: undefined });
}

export type ClawopsConfig = z.infer<typeof configSchema>;
export type HostConfig = ClawopsConfig['environments'][string]['hosts'][number];
export type EnvironmentConfig = ClawopsConfig['environments'][string];
export type StrategyConfig = HostConfig['strategy'];
export type RunbookConfig = ClawopsConfig['runbook'];
export type ApprovalsConfig = ClawopsConfig['approvals'];
export type WindowConfig = ClawopsConfig['windows'][number];
export type AuthorizationRule = ClawopsConfig['authorization'][number];
export type CommandName = z.infer<typeof commandNames>;
