/** Small, pure formatting helpers shared by the renderers. */
import type { Approval } from '../../jobs/events.js';
import type { GateStatus, StepStatus } from './thread-state.js';

export const STEP_EMOJI: Readonly<Record<StepStatus, string>> = {
  pending: '⬜', running: '⏳', done: '✅', failed: '❌', skipped: '⏭️',
};

export const GATE_EMOJI: Readonly<Record<GateStatus, string>> = {
  pending: '⬜', waiting: '⏸️', passed: '✅', rejected: '❌', expired: '⌛',
};

/** `420 ms`, `2.9 s`, `1 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  const totalMinutes = Math.round(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)} h ${String(totalMinutes % 60).padStart(2, '0')} min`;
}

/** `2026-05-01 14:00 UTC` in the team's time zone; the input is returned as-is when it is no date. */
export function formatTime(iso: string, timeZone = 'UTC'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
  }).formatToParts(date);
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((part) => part.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
}

const PLATFORM_NAMES: Readonly<Record<Approval['platform'], string>> = {
  slack: 'Slack', discord: 'Discord', terminal: 'the terminal', schedule: 'the schedule',
};

export function platformName(platform: Approval['platform']): string {
  return PLATFORM_NAMES[platform];
}

export function personName(person: { userId: string; displayName?: string }): string {
  return `@${person.displayName ?? person.userId}`;
}

/** The reaction to show people: the first unicode emoji of a configured list, else `:name:`. */
export function displayReaction(names: readonly string[]): string {
  const unicode = names.find((name) => !/^[\w+-]+$/.test(name));
  if (unicode !== undefined) return unicode;
  return `:${names[0] ?? 'white_check_mark'}:`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** The last non-empty line of command output, for a one-line hint under a failed step. */
export function lastLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
  return lines[lines.length - 1] ?? '';
}
