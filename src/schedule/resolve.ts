/** When a scheduled upgrade runs: `--at`, `--window next` or `--window auto`. Pure. */
import { DateTime } from 'luxon';
import type { ScheduleSpec } from '../commands/types.js';
import type { ClawopsConfig } from '../config/schema.js';
import { quietestSlot, type TrafficHistogram } from './quiet-hours.js';
import { nextWindow, openWindowAt, parseAtTime } from './windows.js';
import type { ScheduledUpgrade } from './types.js';

export type ResolvedTime =
  | { ok: true; at: DateTime; windowEnd?: DateTime; window?: string; source: ScheduledUpgrade['source']; note?: string }
  | { ok: false; message: string };

export function resolveTime(spec: ScheduleSpec, config: ClawopsConfig, environment: string, now: DateTime, histogram?: TrafficHistogram): ResolvedTime {
  const zone = config.schedule.timezone;
  if (spec.kind === 'at') {
    const parsed = parseAtTime(spec.text, zone, now);
    if (!parsed.ok) return parsed;
    return { ok: true, at: parsed.at, source: 'at', ...(parsed.note ? { note: parsed.note } : {}) };
  }
  if (spec.which === 'next') {
    const slot = nextWindow(config.windows, environment, now);
    if (!slot) return { ok: false, message: noWindow(config, environment) };
    return { ok: true, at: slot.start, windowEnd: slot.end, window: slot.window, source: 'window-next' };
  }
  const auto = quietestSlot(histogram ?? { timezone: zone, counts: {}, samples: {}, days: 0 }, config.windows, environment, now, config.schedule.minHistoryDays);
  if (auto.source === 'none') return { ok: false, message: `--window auto: ${auto.reason}; give --at <time> or configure a window` };
  if (auto.source === 'configured-window') {
    return { ok: true, at: auto.slot.start, windowEnd: auto.slot.end, window: auto.slot.window, source: 'window-auto', note: `--window auto: ${auto.reason}` };
  }
  const average = Math.round(auto.averageRequests);
  return {
    ok: true, at: auto.slot.start, windowEnd: auto.slot.end, window: 'auto', source: 'window-auto',
    note: `--window auto: the quietest hour of the coming week (about ${average} requests in that hour on average, from ${histogram?.days ?? 0} days of traffic)`,
  };
}

function noWindow(config: ClawopsConfig, environment: string): string {
  return config.windows.length === 0
    ? 'no upgrade windows are configured (`windows:` in the config); give --at <time> instead'
    : `no configured window applies to ${environment} in the next 14 days; give --at <time> instead`;
}

/** Where a postponed upgrade goes: the next window after the current slot (or the window `at` falls in) ends. */
export function postponeTarget(schedule: Pick<ScheduledUpgrade, 'at' | 'windowEnd' | 'environment'>, config: ClawopsConfig, now: DateTime): ResolvedTime {
  const at = DateTime.fromISO(schedule.at);
  const slotEnd = schedule.windowEnd ? DateTime.fromISO(schedule.windowEnd) : openWindowAt(config.windows, schedule.environment, at)?.end ?? at.plus({ minutes: 1 });
  const after = slotEnd > now ? slotEnd : now;
  const slot = nextWindow(config.windows, schedule.environment, after);
  if (!slot) return { ok: false, message: noWindow(config, schedule.environment) };
  return { ok: true, at: slot.start, windowEnd: slot.end, window: slot.window, source: 'window-next' };
}
