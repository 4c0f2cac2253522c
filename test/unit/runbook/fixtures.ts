/** Fleet configs and facts for plan tests, built through the real config schema (all defaults applied). */
import { HANDOFF_JS } from '../../../src/runbook/handoff.js';
import { RESTORE_EXTRACT_JS } from '../../../src/runbook/steps.js';
import { RESTART_MARK_JS } from '../../../src/runbook/restart-mark.js';
import { configSchema, type ClawopsConfig } from '../../../src/config/schema.js';
import type { HostFacts, PlanFacts } from '../../../src/runbook/types.js';
import { displayCommand } from '../../../src/runbook/render.js';

export const HOST_KEY = `SHA256:${'A'.repeat(43)}`;

export function host(name: string, strategy: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, address: `10.0.0.${name.length}`, hostKey: HOST_KEY, strategy, ...extra };
}

export function fleet(environments: Record<string, unknown>, extra: Record<string, unknown> = {}): ClawopsConfig {
  return configSchema.parse({ environments, ...extra });
}

/** production (2 hosts, pm2) + staging (1 host, pm2). */
export function pm2Fleet(options: { parallelism?: number; productionHosts?: number; extra?: Record<string, unknown> } = {}): ClawopsConfig {
  const count = options.productionHosts ?? 2;
  return fleet({
    staging: { staging: true, hosts: [host('stage-a', { kind: 'pm2' })] },
    production: {
      parallelism: options.parallelism ?? 1,
      hosts: Array.from({ length: count }, (_, index) => host(`prod-${String.fromCharCode(97 + index)}`, { kind: 'pm2', pm2Home: '~/.pm2-openclaw' })),
    },
  }, options.extra ?? {});
}

export function hostFacts(name: string, currentVersion: string | null, extra: Partial<HostFacts> = {}): HostFacts {
  return { host: name, currentVersion, installedVersions: currentVersion === null ? [] : [currentVersion], ...extra };
}

export function planFacts(config: ClawopsConfig, options: { target?: string; current?: string; changelogs?: Record<string, string>; hostExtra?: Partial<HostFacts>; schemaChanges?: boolean } = {}): PlanFacts {
  const hosts: Record<string, HostFacts> = {};
  for (const env of Object.values(config.environments)) {
    for (const h of env.hosts) hosts[h.name] = hostFacts(h.name, options.current ?? '2026.9.5', options.hostExtra ?? {});
  }
  const facts: PlanFacts = {
    upgradeId: 'u42',
    now: '2026-09-20T10:00:00.000Z',
    targetVersion: options.target ?? '2026.9.6',
    hosts,
    changelogs: options.changelogs ?? {},
  };
  if (options.schemaChanges !== undefined) facts.schemaChanges = options.schemaChanges;
  return facts;
}

/** A real-format per-release CHANGELOG.md as the npm tarball ships it. */
export const CHANGELOG_2026_9_6 = `# Changelog

## 2026.9.6

### Highlights

- **Breaking — Node runtime:** OpenClaw now requires Node 24.16 or newer; Node 22 is no longer supported.
- Sessions database: a schema migration runs on first start and keeps a \`.pre-startup-migration-*.bak\` copy.

### Changes

- Gateway: added a new config option \`gateway.http.maxBodyBytes\` to cap request bodies.
- Channels: Discord threads keep their names after a reconnect.

### Fixes

- Fixed a crash when a skill returned an empty reply
  while the channel was reconnecting.
`;

export const CHANGELOG_2026_9_2 = `## 2026.9.2

### Changes

- Skills: faster cold start for bundled skills.

### Fixes

- Telegram: retry sendMessage on 429 with the server's retry_after.
`;

/** `<step id>: <command line>` for every command step (optionally of one host) — what plan tests pin. */
export function commandLines(plan: { steps: readonly import('../../../src/runbook/types.js').PlanStep[] }, hostName?: string): string[] {
  return plan.steps
    .filter((step) => hostName === undefined || step.host === hostName)
    .flatMap((step) => step.action.type === 'command' ? [`${step.id}: ${commandLine(step.action.argv, step.action.env)}`] : []);
}

/** A command line, with the blue-green handoff's host script shown as `handoff <mode> on <state dir>:<port>`, the restart mark's as `restart-mark <args>`. */
export function commandLine(argv: readonly string[], env: Readonly<Record<string, string>> = {}): string {
  if (argv[0] === 'node' && argv[2] === HANDOFF_JS) return `handoff ${argv[3]} on ${env.OPENCLAW_STATE_DIR}:${env.OPENCLAW_GATEWAY_PORT}`;
  if (argv[0] === 'node' && argv[2] === RESTART_MARK_JS) return displayCommand(['restart-mark', ...argv.slice(3)], env);
  // The restore as the profile gives it, into a fresh attempt dir under argv[3] that becomes <dir>/done.
  if (argv[0] === 'node' && argv[2] === RESTORE_EXTRACT_JS) return displayCommand((JSON.parse(argv[4] ?? '[]') as string[]).map((word) => word === '{targetDir}' ? `${argv[3]}/attempt-X` : word), env);
  return displayCommand(argv, env);
}

/** `<step id>` of every step in order. */
export function stepIds(plan: { steps: readonly { id: string }[] }): string[] {
  return plan.steps.map((step) => step.id);
}

/** The error `fn` throws; fails the test when it does not throw. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
