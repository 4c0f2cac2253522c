/**
 * The commands that answer in the channel without starting an upgrade job: versions, update
 * check, changelog, doctor, backups, history. Each host is asked in parallel; one unreachable
 * host is reported in its line, never fails the whole answer.
 */
import semver from 'semver';
import type { Command } from '../commands/types.js';
import type { ClawopsConfig, HostConfig } from '../config/schema.js';
import { ClawopsError, isClawopsError } from '../errors.js';
import type { ChangelogSource } from '../jobs/collect-facts.js';
import { collectHostFacts } from '../jobs/collect-facts.js';
import { hostHealthProbe, toRemoteTarget } from '../jobs/targets.js';
import { checkHealth } from '../health/probes.js';
import type { AuditStore, HistoryEntry } from '../audit/store.js';
import { gateDecisions } from '../audit/gate-summary.js';
import type { Requester } from '../jobs/events.js';
import type { RemoteShell } from '../remote/types.js';
import { analyzeChangelogs, backupFileFor, parseChangelog, releaseBinary, runbookCommand, selectEnvironment, updateType } from '../runbook/index.js';
import type { RunResult } from '../remote/types.js';
import { backupListArgv, formatBytes, parseBackupListing } from '../runbook/backup-ids.js';
import type { ChatMessage } from '../chat/types.js';

export interface QueryService {
  run(command: Command, environment: string | undefined): Promise<ChatMessage>;
}

export interface QueryDeps {
  config: ClawopsConfig;
  shell: RemoteShell;
  audit: AuditStore;
  changelogs?: (config: ClawopsConfig, host: HostConfig) => ChangelogSource;
  /** Active upgrades and their state, for `status`. */
  activeUpgrades?: () => Promise<string[]>;
  /** Upgrades scheduled for later, one line each, for `status`. */
  scheduledUpgrades?: () => Promise<string[]>;
}

const EXCERPT = 600;

export function createQueryService(deps: QueryDeps): QueryService {
  const { config, shell } = deps;
  const timeoutMs = config.runbook.timeouts.commandSeconds * 1000;

  async function perHost<T>(environment: string | undefined, fn: (host: HostConfig) => Promise<T>): Promise<{ env: string; rows: Array<{ host: HostConfig; value?: T; error?: string }> }> {
    const { name, env } = selectEnvironment(config, environment);
    const rows = await Promise.all(env.hosts.map(async (host) => {
      try {
        return { host, value: await fn(host) };
      } catch (error) {
        return { host, error: isClawopsError(error) ? error.message : String(error) };
      }
    }));
    return { env: name, rows };
  }

  async function runTemplate(host: HostConfig, name: keyof ClawopsConfig['runbook']['commands'], values: Record<string, string> = {}) {
    const argv = runbookCommand(config, name, values, [releaseBinary(host, 'current')]);
    return shell.run(toRemoteTarget(host), argv, { timeoutMs });
  }

  const handlers: Partial<Record<Command['kind'], (command: Command, environment: string | undefined) => Promise<ChatMessage>>> = {
    async version(_command, environment) {
      const { env, rows } = await perHost(environment, (host) => collectHostFacts(shell, host, config.runbook));
      return {
        title: `OpenClaw versions in ${env}`, text: '',
        lines: rows.map(({ host, value, error }) => versionLine(host.name, value, error)),
      };
    },

    async check(_command, environment) {
      const { env, rows } = await perHost(environment, async (host) => {
        const facts = await collectHostFacts(shell, host, config.runbook);
        const latest = await runTemplate(host, 'registryVersion', { version: 'latest' });
        const latestVersion = latest.exitCode === 0 ? latest.stdout.trim().split('\n').pop()?.trim() ?? '' : '';
        const health = await checkHealth(hostHealthProbe(host, shell), { timeoutMs: 5000 });
        return { facts, latestVersion, health };
      });
      return {
        title: `Update check for ${env}`, text: '',
        lines: rows.map(({ host, value, error }) => {
          if (!value) return `${host.name}: ⚠️ ${error}`;
          const current = value.facts.currentVersion;
          const latest = semver.valid(value.latestVersion) ? value.latestVersion : null;
          const kind = current && latest ? updateType(current, latest) : 'unknown';
          const update = latest === null ? 'latest version unknown (registry not reachable from the host?)'
            : current === latest ? 'up to date' : `${latest} available (${kind} update)`;
          return `${host.name}: ${current ?? 'not installed'} — ${update} — ${healthLabel(value.health)}`;
        }),
      };
    },

    async doctor(_command, environment) {
      const { env, rows } = await perHost(environment, (host) => runTemplate(host, 'doctor'));
      return {
        title: `openclaw doctor in ${env}`, text: '',
        tone: rows.every((row) => row.value?.exitCode === 0) ? 'success' : 'warning',
        lines: rows.map(({ host, value, error }) => value
          ? `${value.exitCode === 0 ? '✅' : '❌'} ${host.name} (exit ${value.exitCode}): ${lastLines(value.stdout || value.stderr)}`
          : `⚠️ ${host.name}: ${error}`),
      };
    },

    async backup(command, environment) {
      if (command.kind !== 'backup') throw new ClawopsError('INTERNAL', 'not a backup command');
      const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
      const { env, rows } = await perHost(environment, async (host) => {
        if (command.action === 'list') return shell.run(toRemoteTarget(host), backupListArgv(host.backupDir), { timeoutMs });
        if (command.action === 'create') return runTemplate(host, 'backupCreate', { backupFile: backupFileFor(host, `manual-${stamp}`), stateDir: host.stateDir });
        const listing = await shell.run(toRemoteTarget(host), ['ls', '-1t', host.backupDir], { timeoutMs });
        const newest = listing.stdout.split('\n').map((line) => line.trim()).find((line) => line.endsWith('.tar.gz'));
        if (!newest) throw new ClawopsError('NOT_FOUND', `no backup in ${host.backupDir}`);
        return runTemplate(host, 'backupVerify', { backupFile: `${host.backupDir}/${newest}` });
      });
      return {
        title: `Backups (${command.action}) in ${env}`, text: command.action === 'list' ? 'rollback --from-backup <id> restores one' : '',
        lines: rows.map(({ host, value, error }) => (value ? backupLine(host.name, command.action, value) : `⚠️ ${host.name}: ${error}`)),
      };
    },

    async changelog(command) {
      if (command.kind !== 'changelog') throw new ClawopsError('INTERNAL', 'not a changelog command');
      const { env } = selectEnvironment(config, undefined);
      const host = env.hosts[0];
      if (!host || !deps.changelogs) throw new ClawopsError('NOT_FOUND', 'no host to read changelogs from');
      const texts = await deps.changelogs(config, host)(command.from, command.to);
      const findings = analyzeChangelogs(texts, command.from, command.to);
      const section = (label: string, items: string[]) => (items.length ? [`*${label}*`, ...items.map((item) => `• ${item}`)] : []);
      return {
        title: `Changelog ${command.from} → ${command.to} (${updateType(command.from, command.to)})`,
        text: Object.keys(texts).length === 0 ? 'No changelog found for these versions.' : `Read ${Object.keys(texts).length} release note(s).`,
        tone: findings.breaking.length ? 'warning' : 'info',
        lines: [...section('Breaking changes', findings.breaking), ...section('Data migrations', findings.migrations),
          ...section('Runtime requirements', findings.runtime), ...section('New configuration', findings.newConfig),
          ...releaseHighlights(texts)],
      };
    },

    async history(_command, environment) {
      const entries = await deps.audit.listHistory(environment, 10);
      return { title: `Upgrade history${environment ? ` of ${environment}` : ''}`, text: entries.length ? '' : 'No upgrades recorded yet.', lines: entries.map(historyLine) };
    },

    async status() {
      const active = (await deps.activeUpgrades?.()) ?? [];
      const running: string[] = [];
      for (const id of active) {
        const record = await deps.audit.get(id);
        if (record && record.outcome === undefined) {
          const done = record.steps.filter((step) => step.status === 'succeeded').length;
          running.push(`⏳ ${id}: ${record.kind} ${record.environment} → ${record.toVersion}, ${done}/${record.steps.length} steps, asked by ${record.requester.displayName ?? record.requester.userId}`);
        }
      }
      // Every environment, every host: what runs and whether it answers, asked in parallel.
      const environments = await Promise.all(Object.keys(config.environments).map((name) => perHost(name, async (host) => {
        const [facts, health] = await Promise.all([
          collectHostFacts(shell, host, config.runbook),
          checkHealth(hostHealthProbe(host, shell), { timeoutMs: 5000 }),
        ]);
        return { facts, health };
      })));
      const scheduled = (await deps.scheduledUpgrades?.()) ?? [];
      const hostLines = environments.flatMap(({ env, rows }) => [`*${env}*`, ...rows.map(({ host, value, error }) => {
        if (!value) return `⚠️ ${host.name}: ${error ?? 'no answer'}`;
        return `${healthMark(value.health)} ${host.name}: ${value.facts.currentVersion ?? 'not installed'} — ${healthWords(value.health)}`;
      })]);
      return {
        title: 'clawops status',
        text: running.length ? `${running.length} upgrade(s) running` : 'No upgrade is running.',
        lines: [...running, ...(scheduled.length ? ['*Scheduled*', ...scheduled] : []), ...hostLines],
      };
    },
  };

  return {
    async run(command, environment) {
      const handler = handlers[command.kind];
      if (!handler) throw new ClawopsError('COMMAND_INVALID', `${command.kind} is not answered here`);
      return handler(command, environment);
    },
  };
}

function lastLines(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > EXCERPT ? `…${trimmed.slice(-EXCERPT)}` : trimmed || '(no output)';
}

/** One host's line of `version`: what runs, what else is installed side by side, or why it could not tell. */
/**
 * One verdict for `status` and `check`: 🟢 only when the host is live and ready. `check` once
 * showed 🟢 for a live host that was not ready, which `status` showed 🔴.
 */
export function healthMark(health: { live: boolean; ready: boolean }): string {
  return health.live && health.ready ? '🟢' : '🔴';
}

function healthWords(health: { live: boolean; ready: boolean }): string {
  return `${health.live ? 'live' : 'not live'}, ${health.ready ? 'ready' : 'not ready'}`;
}

/** `check`'s health: the same mark as `status`, then the words. */
export function healthLabel(health: { live: boolean; ready: boolean }): string {
  return `${healthMark(health)} ${healthWords(health)}`;
}

export function versionLine(host: string, facts: { currentVersion: string | null; installedVersions: readonly string[] } | undefined, error?: string): string {
  if (facts === undefined) return `${host}: ⚠️ ${error ?? 'no answer'}`;
  const others = facts.installedVersions.filter((version) => version !== facts.currentVersion);
  return `${host}: ${facts.currentVersion ?? 'not installed'}${others.length ? ` (installed side by side: ${others.join(', ')})` : ''}`;
}

/** One line of `history`: an upgrade with its versions and outcome, or a refused command. */
export function historyLine(entry: HistoryEntry): string {
  if (entry.type === 'refusal') return `${entry.at} refused: "${entry.command}" from ${entry.requester.displayName ?? entry.requester.userId}: ${entry.message}`;
  const from = [...new Set(Object.values(entry.fromVersions))].join('/');
  const name = (person: Requester) => person.displayName ?? person.userId;
  const gates = entry.gates.map((gate) => ({ ...gate, title: gate.title ?? gate.gateId, approvers: gate.approvers ?? [] }));
  const late = entry.approvals.filter((approval) => approval.late === true)
    .map((approval) => `late ${approval.decision} by ${name(approval)} (${approval.platform}) at ${approval.at}: ${approval.note ?? 'not counted'}`);
  const notes = [...gateDecisions(gates, name), ...late];
  return `${entry.requestedAt} ${entry.upgradeId}: ${entry.kind} ${entry.environment} ${from} → ${entry.toVersion} (${entry.strategy}) by ${name(entry.requester)}: ${entry.outcome ?? 'running'}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`;
}

/** Each release's own notes, newest first, a few bullets each: what the operator reads before approving. */
function releaseHighlights(texts: Readonly<Record<string, string>>): string[] {
  const versions = Object.keys(texts).filter((version) => semver.valid(version)).sort(semver.rcompare);
  return versions.flatMap((version) => {
    const bullets = parseChangelog(texts[version] ?? '', version).flatMap((release) => release.bullets);
    const shown = bullets.slice(0, 5).map((bullet) => `• ${bullet.section ? `${bullet.section}: ` : ''}${bullet.text}`);
    const more = bullets.length > shown.length ? [`… ${bullets.length - shown.length} more`] : [];
    return [`*${version}*`, ...(shown.length ? shown : ['(no notes)']), ...more];
  });
}

/** One host's line of `backup list`: the id `--from-backup` takes, with size and date, newest first. */
export function backupListLine(host: string, result: RunResult): string {
  if (result.exitCode !== 0) return /No such file/i.test(result.stderr) ? `${host}: no backups yet` : `❌ ${host}: ${lastLines(result.stderr)}`;
  const entries = parseBackupListing(result.stdout, host);
  if (entries.length === 0) return `${host}: no backups yet`;
  const shown = entries.slice(0, 5).map((entry) => `${entry.id} (${formatBytes(entry.bytes)}, ${new Date(entry.modifiedMs).toISOString().slice(0, 16).replace('T', ' ')} UTC)`);
  const more = entries.length > shown.length ? `, … ${entries.length - shown.length} more` : '';
  return `${host}: ${entries.length} backup(s), newest first: ${shown.join(', ')}${more}`;
}

function backupLine(host: string, action: 'create' | 'verify' | 'list', result: RunResult): string {
  if (action === 'list') return backupListLine(host, result);
  let summary: string | undefined;
  try {
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    const archive = Object.values(json).find((value): value is string => typeof value === 'string' && value.endsWith('.tar.gz'));
    const verified = json['verified'] === true || json['ok'] === true;
    summary = `${archive ?? 'archive'}${verified ? ' (verified)' : ''}`;
  } catch {
    summary = undefined;
  }
  return `${result.exitCode === 0 ? '✅' : '❌'} ${host}: ${summary ?? lastLines(result.stdout || result.stderr)}`;
}
