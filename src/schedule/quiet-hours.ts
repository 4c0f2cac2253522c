/**
 * `--window auto`: the quietest hour of the coming week, from an hourly request histogram per
 * weekday (sampled from the hosts into Redis by I/O code). Pure.
 */
import { DateTime } from 'luxon';
import type { WindowConfig } from '../config/schema.js';
import { nextWindow, type WindowSlot } from './windows.js';

/** Requests per (weekday 1–7, Monday = 1; hour 0–23) in the team's zone, summed, with how many days were sampled. */
export interface TrafficHistogram {
  timezone: string;
  /** `"<weekday>:<hour>"` -> total requests seen in that hour over all sampled weeks. */
  counts: Readonly<Record<string, number>>;
  /** `"<weekday>:<hour>"` -> how many times that hour was sampled. */
  samples: Readonly<Record<string, number>>;
  /** Distinct days with any sample. */
  days: number;
}

export type AutoSlot =
  | { source: 'traffic'; slot: WindowSlot; averageRequests: number }
  | { source: 'configured-window'; slot: WindowSlot; reason: string }
  | { source: 'none'; reason: string };

export function histogramKey(at: DateTime): string {
  return `${at.weekday}:${at.hour}`;
}

/**
 * The start of the next hour, within the coming 7 days, with the lowest average traffic. Ties go
 * to the earliest. With fewer than `minHistoryDays` of history, falls back to the next configured
 * window and says why.
 */
export function quietestSlot(
  histogram: TrafficHistogram,
  windows: readonly WindowConfig[],
  environment: string,
  now: DateTime,
  minHistoryDays: number,
): AutoSlot {
  if (histogram.days < minHistoryDays) {
    const reason = `only ${histogram.days} day(s) of traffic history (need ${minHistoryDays})`;
    const slot = nextWindow(windows, environment, now);
    return slot ? { source: 'configured-window', slot, reason: `${reason}; using the next configured window "${slot.window}"` }
      : { source: 'none', reason: `${reason} and no configured window applies to ${environment}` };
  }
  let best: { start: DateTime; average: number } | undefined;
  const first = now.setZone(histogram.timezone).startOf('hour').plus({ hours: 1 });
  for (let offset = 0; offset < 7 * 24; offset++) {
    const start = first.plus({ hours: offset });
    const key = histogramKey(start);
    const sampled = histogram.samples[key] ?? 0;
    if (sampled === 0) continue;
    const average = (histogram.counts[key] ?? 0) / sampled;
    if (best === undefined || average < best.average) best = { start, average };
  }
  if (best === undefined) return { source: 'none', reason: 'the traffic history has no samples for the coming week' };
  return { source: 'traffic', slot: { window: 'auto', start: best.start, end: best.start.plus({ hours: 1 }) }, averageRequests: best.average };
}
