/**
 * `clawops demo`: a local sandbox, started for real — Redis, two sshd hosts in their own network
 * namespaces running the OpenClaw test double under PM2 (staging-1 plain PM2, prod-1 blue-green
 * behind nginx) — and the terminal chat against it. Needs root (namespaces) and a clone of the
 * repository (the double and the harness live in test/). Everything stops on exit.
 */
import { userInfo } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../config/load.js';
import type { ClawopsConfig } from '../../config/schema.js';
import { ClawopsError } from '../../errors.js';
import { createSshShell } from '../../remote/ssh-shell.js';
import type { RemoteShell } from '../../remote/types.js';
import { parseCliArgs } from '../args.js';
import type { CliRun } from '../types.js';
import { runTerminalChat } from './chat.js';

interface SandboxModule {
  startSandbox(options: { shell: RemoteShell; users: readonly string[] }): Promise<{ config: unknown; stop(): Promise<void>; staging: { address: string }; production: { address: string } }>;
}

// Resolved at run time so the published build (src only) does not pull the test harness in.
const SANDBOX = new URL('../../../test/harness/sandbox.ts', import.meta.url);

export const run: CliRun = async (args, context) => {
  const { values } = parseCliArgs(args, { as: { type: 'string' } }, 0);
  if (process.getuid?.() !== 0) throw new ClawopsError('COMMAND_INVALID', 'the demo sandbox creates network namespaces and must run as root (e.g. sudo npm start)');
  if (!existsSync(fileURLToPath(SANDBOX))) throw new ClawopsError('NOT_FOUND', 'the demo needs a clone of the clawops repository (test/harness is not in this install)');
  const user = values.as ?? userInfo().username;
  const shell = createSshShell({ logger: context.logger });
  context.stderr.write('starting the sandbox: Redis, a package registry and two sshd hosts running OpenClaw 1.2.0 (≈ 5–15 s)…\n');
  const { startSandbox } = await import(SANDBOX.href) as SandboxModule;
  const sandbox = await startSandbox({ shell, users: [user] });
  try {
    const config: ClawopsConfig = parseConfig(JSON.stringify(sandbox.config), { env: context.env, home: process.env['HOME'] ?? '/root' });
    context.stdout.write([
      '',
      `Sandbox ready: staging-1 (${sandbox.staging.address}, PM2) and prod-1 (${sandbox.production.address}, blue-green behind nginx), both on OpenClaw 1.2.0.`,
      'Try:  /openclaw version staging   ·   /openclaw upgrade 1.3.0 production --dry-run   ·   /openclaw upgrade 1.3.0 production',
      `Gates wait for a reaction: +1 ✅ <message number>. You (${user}) may approve your own upgrades here.`,
      '',
    ].join('\n'));
    return await runTerminalChat(context, config, user);
  } finally {
    await shell.close();
    await sandbox.stop();
  }
};
