/**
 * Undo before traffic moves: when a host fails before any of its `switch` steps finished, the
 * plan's `onFailure` steps for it run (blue-green: remove the idle color, resume the live one),
 * each attempted even when one before it failed, and the thread gets one line per step.
 */
import type { ClawopsConfig } from '../config/schema.js';
import type { RemoteShell } from '../remote/types.js';
import type { Plan } from '../runbook/types.js';
import { executeStep } from './execute-step.js';
import type { Cursor } from './queue.js';
import { findHost } from './targets.js';

export interface UndoInput {
  plan: Plan;
  cursor: Cursor;
  host: string;
  /** Why the host failed, for the thread. */
  reason: string;
  config: ClawopsConfig;
  /** The shell for one step, by its journal label (src/remote/host-fence.ts). */
  shellFor: (label: string) => RemoteShell;
  now: () => number;
}

/** Runs the host's undo steps; null when it has none or its traffic already moved. */
export async function undoBeforeTraffic(input: UndoInput): Promise<{ level: 'warn' | 'error'; message: string } | null> {
  const { plan, cursor, host } = input;
  const steps = (plan.onFailure ?? []).filter((step) => step.host === host);
  const moved = plan.steps.some((step) => step.host === host && step.kind === 'switch' && cursor.done.includes(step.id));
  if (steps.length === 0 || moved) return null;
  const lines: string[] = [];
  let allOk = true;
  for (const step of steps) {
    try {
      const result = await executeStep(step, {
        host: findHost(input.config, step.environment, host), shell: input.shellFor(`undo:${step.id}`), signal: new AbortController().signal, now: input.now, onHealth: () => undefined,
      });
      allOk &&= result.ok;
      // A failure says why; a success only what a reporting step measured (not PM2's table footer).
      const said = result.ok ? (step.report === true ? lastOutputLine(result.excerpt) : '') : lastOutputLine(`${result.error}\n${result.excerpt}`);
      lines.push(`${result.ok ? '✅' : '❌'} ${step.title}${said === '' ? '' : `: ${said}`}`);
    } catch (error) {
      allOk = false;
      lines.push(`❌ ${step.title}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { level: allOk ? 'warn' : 'error', message: `${host} failed before its traffic moved (${input.reason}); undone:\n${lines.join('\n')}` };
}

/** The last non-empty line of command output, without terminal colours, at most 240 characters. */
export function lastOutputLine(text: string | undefined): string {
  // eslint-disable-next-line no-control-regex -- terminal colours from PM2 and OpenClaw
  const lines = (text ?? '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const last = lines.at(-1) ?? '';
  return last.length > 240 ? `${last.slice(0, 239)}…` : last;
}
