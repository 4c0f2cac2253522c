/**
 * The command line as an operator uses it, against the sandbox fleet (real sshd hosts, the
 * OpenClaw double under PM2, nginx): `clawops say` runs an upgrade through the queue and waits,
 * a second `clawops say --approve` releases its gates, exit codes tell the outcome; `plan` and
 * `history` read what is there; `demo`'s terminal chat answers a typed command.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSshShell } from '../../src/remote/ssh-shell.js';
import { startSandbox, SANDBOX_RELEASES, type Sandbox } from '../harness/sandbox.js';

const BIN = fileURLToPath(new URL('../../bin/clawops.js', import.meta.url));
const shell = createSshShell();
let sandbox: Sandbox;
let dir: string;
let configFile: string;

interface Run { code: number | null; stdout: string; stderr: string }

function clawops(args: string[], options: { input?: string; onStderr?: (text: string) => void; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--config', configFile, ...args], { cwd: dir, env: { ...process.env, HOME: dir }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); options.onStderr?.(stderr); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`clawops ${args.join(' ')} timed out:\n${stdout}\n${stderr}`)); }, options.timeoutMs ?? 90_000);
    child.once('error', reject);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    if (options.input !== undefined) child.stdin.end(options.input);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clawops-cli-'));
  sandbox = await startSandbox({ shell, users: ['alice', 'bob'] });
  const config = { ...sandbox.config, runbook: { watch: { minutes: 0, intervalSeconds: 5 }, timeouts: { readySeconds: 30 } } };
  configFile = join(dir, 'clawops.yml');
  // JSON is YAML: the loader reads it like any clawops.yml.
  await writeFile(configFile, JSON.stringify(config, null, 2));
});

afterAll(async () => {
  await shell.close();
  await sandbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('say runs an upgrade through the queue, a second say approves its gates, and the exit code says it succeeded', async () => {
  let upgradeId: string | undefined;
  const approvals: Run[] = [];
  let approving: Promise<void> | undefined;
  const approveUntilDone = async (id: string) => {
    // Each approval releases the gate waiting now; the next gate may not be raised yet, so retry.
    for (let i = 0; i < 120 && approvals.filter((run) => run.code === 0).length < 2; i++) {
      const run = await clawops(['say', '--approve', id, '--as', 'bob']);
      approvals.push(run);
      if (run.code !== 0) await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const upgrade = await clawops(['say', 'upgrade 1.3.0 production --skip-staging', '--as', 'alice'], {
    timeoutMs: 120_000,
    onStderr: (text) => {
      const found = /upgrade (up-[\w-]+) queued/.exec(text)?.[1];
      if (found && upgradeId === undefined) {
        upgradeId = found;
        approving = approveUntilDone(found);
      }
    },
  });
  await approving;
  expect(upgradeId).toBeDefined();
  expect(upgrade.code, upgrade.stderr).toBe(0);
  expect(upgrade.stdout).toContain('Upgrade succeeded');
  expect(upgrade.stdout).toMatch(/Approved: Skip staging/);
  expect(upgrade.stdout).toMatch(/Approved: Hand prod-1 over from blue to green/);
  const counted = approvals.filter((run) => run.code === 0);
  expect(counted).toHaveLength(2);
  expect(counted[0]?.stdout).toContain('approve by bob counted');
  // A reaction while no gate waits is refused with the reason, not silently dropped.
  expect(approvals.filter((run) => run.code !== 0).every((run) => /no gate is waiting|not counted/.test(run.stdout))).toBe(true);

  const version = await shell.run(sandbox.production.target, [`${SANDBOX_RELEASES}/current/bin/openclaw`, '--version']);
  expect(version.stdout).toMatch(/^OpenClaw 1\.3\.0 /);
  const upstream = await sandbox.nginx.readUpstream();
  expect(upstream).toEqual(['127.0.0.1:19789']);

  const history = await clawops(['history', 'production']);
  expect(history.code).toBe(0);
  expect(history.stdout).toContain(`${upgradeId}: upgrade production 1.2.0 → 1.3.0 (blue-green) by alice: succeeded`);
}, 180_000);

test('plan rollback reads the audit like the bot: it plans undoing the upgrade history lists', async () => {
  const plan = await clawops(['plan', 'rollback', 'production']);
  expect(plan.code, plan.stderr).toBe(0);
  expect(plan.stdout).toContain('Roll production back to 1.2.0 (switch back to the installed release)');
  expect(plan.stdout).not.toContain('no earlier upgrade');
  // Staging was skipped by that upgrade: nothing of it to roll back.
  const staging = await clawops(['plan', 'rollback', 'staging']);
  expect(staging.code).toBe(1);
  expect(staging.stderr).toContain('no earlier upgrade of staging is recorded');
});

test('bad input exits 2 with the specific problem and the usage line; an unknown user is refused', async () => {
  const typo = await clawops(['say', 'upgrade 1.3.0 production --forse', '--as', 'alice']);
  expect(typo.code).toBe(2);
  expect(typo.stderr).toContain('unknown option --forse');
  expect(typo.stderr).toContain('upgrade <version>');
  expect(typo.stderr).not.toMatch(/\n\s+at /);

  const stranger = await clawops(['say', 'upgrade 1.3.0 staging', '--as', 'mallory']);
  expect(stranger.code).toBe(2);
  expect(stranger.stderr).toMatch(/you may not run upgrade in staging/);
});

test('a version the registry does not have is refused before anything runs (no backup, no install)', async () => {
  const backupsBefore = await shell.run(sandbox.staging.target, ['sh', '-c', 'ls ~/.clawops/backups 2>/dev/null || true']);
  const missing = await clawops(['say', 'upgrade 9.9.9 staging', '--as', 'alice']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('openclaw 9.9.9 is not published');
  const backupsAfter = await shell.run(sandbox.staging.target, ['sh', '-c', 'ls ~/.clawops/backups 2>/dev/null || true']);
  expect(backupsAfter.stdout).toBe(backupsBefore.stdout);
  expect((await shell.run(sandbox.staging.target, ['ls', SANDBOX_RELEASES])).stdout).not.toContain('9.9.9');
});

test('status lists a scheduled upgrade next to the hosts until it is cancelled', async () => {
  const scheduled = await clawops(['chat', '--as', 'alice'], { input: '/openclaw upgrade 1.3.0 staging --at "2031-01-05 03:00 UTC"\n/openclaw status\n' });
  expect(scheduled.code, scheduled.stderr).toBe(0);
  // The private reply ("Scheduled <id>: …") goes to stderr, the channel's messages to stdout.
  const id = /Scheduled (\S+):/.exec(scheduled.stderr)?.[1] ?? '';
  expect(id).not.toBe('');
  expect(scheduled.stdout).toMatch(new RegExp(`• ${id}: OpenClaw 1\\.3\\.0 on staging at 2031-01-05`));
  const cancelled = await clawops(['chat', '--as', 'alice'], { input: `/openclaw schedule cancel ${id}\n/openclaw status\n` });
  expect(cancelled.stdout).not.toContain(`• ${id}:`);
  expect(cancelled.stdout).toContain('No upgrade is running.');
});

test('plan prints the exact commands of an upgrade without changing the hosts', async () => {
  const before = await shell.run(sandbox.staging.target, ['ls', SANDBOX_RELEASES]);
  const plan = await clawops(['plan', 'upgrade', '1.3.0', 'staging']);
  expect(plan.code, plan.stderr).toBe(0);
  expect(plan.stdout).toContain('Upgrade staging: 1.2.0 → 1.3.0 (minor) · strategy pm2');
  expect(plan.stdout).toContain(`npm install -g --prefix ${SANDBOX_RELEASES}/1.3.0 openclaw@1.3.0 --allow-scripts=openclaw`);
  expect(plan.stdout).toContain('pm2 reload openclaw');
  const after = await shell.run(sandbox.staging.target, ['ls', SANDBOX_RELEASES]);
  expect(after.stdout).toBe(before.stdout);
});

test('the terminal chat answers typed commands (versions, update check, changelog, backups) and quits at end of input', async () => {
  const input = ['version staging', 'upgarde 1.3.0', 'check staging', 'changelog 1.2.0 1.3.0', 'backup list staging', 'backup create staging', 'backup list staging', 'status']
    .map((line) => `/openclaw ${line}\n`).join('');
  const chat = await clawops(['chat', '--as', 'alice'], { input });
  expect(chat.code).toBe(0);
  expect(chat.stdout).toContain('OpenClaw versions in staging');
  expect(chat.stdout).toMatch(/staging-1: 1\.2\.0/);
  expect(`${chat.stdout}${chat.stderr}`).toContain('unknown command "upgarde"');
  expect(chat.stdout).toMatch(/staging-1: 1\.2\.0 — 1\.3\.0 available \(minor update\) — 🟢 live, ready/);
  expect(chat.stdout).toContain('Changelog 1.2.0 → 1.3.0 (minor)');
  expect(chat.stdout).toContain('*1.3.0*');
  expect(chat.stdout).toContain('staging-1: no backups yet');
  expect(chat.stdout).toMatch(/✅ staging-1: \S+\.tar\.gz \(verified\)/);
  // The id `rollback --from-backup` takes, with size and date (not the file name).
  expect(chat.stdout).toMatch(/staging-1: 1 backup\(s\), newest first: manual-\S+ \(\d+(\.\d)? (B|kB|MB), \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
  // status: every environment's hosts with what they run and whether they answer.
  expect(chat.stdout).toContain('No upgrade is running.');
  expect(chat.stdout).toMatch(/🟢 staging-1: 1\.2\.0 — live, ready/);
  expect(chat.stdout).toMatch(/🟢 prod-1: \S+ — live, ready/);
});
