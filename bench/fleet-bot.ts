/**
 * The bot process of bench/fleet.ts: engine (with its worker) + planner + SSH shell, alone in
 * a process so its RSS is the bot's. Protocol over IPC: parent → `{config, version}`; child →
 * `{type:'idle', rssMb}` after 2 s idle, then `{type:'done', run, peakMb}`.
 */
import { readFileSync } from 'node:fs';
import { configSchema } from '../src/config/schema.js';
import { createSshShell } from '../src/remote/ssh-shell.js';
import { botUpgrade, openEngine, type BotRun } from './lib/bot.js';

export type FleetBotMessage =
  | { type: 'idle'; rssMb: number }
  | { type: 'done'; run: Omit<BotRun, 'events'> & { events: Array<{ at: number; event: BotRun['events'][number]['event'] }> }; peakMb: number; rssMb: number }
  | { type: 'error'; message: string };

function statusMb(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

/** Resolves once the message is handed to the IPC channel: disconnecting earlier can drop a large `done`. */
function send(message: FleetBotMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) { resolve(); return; }
    process.send(message, undefined, {}, () => resolve());
  });
}

process.once('message', (message: { config: unknown; version: string }) => {
  void (async () => {
    const config = configSchema.parse(message.config);
    const shell = createSshShell();
    const engine = await openEngine(config, shell);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await send({ type: 'idle', rssMb: statusMb('VmRSS') });
      const run = await botUpgrade(engine, message.version, 'production');
      await send({ type: 'done', run, peakMb: statusMb('VmHWM'), rssMb: statusMb('VmRSS') });
    } finally {
      await engine.close();
      await shell.close();
    }
  })().catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? error.stack ?? error.message : String(error) }))
    .finally(() => process.disconnect());
});
