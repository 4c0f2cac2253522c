/**
 * Traffic sampling for `--window auto`: read a monotonically growing request counter on each
 * host, add the growth since the last reading into an hourly per-weekday histogram in Redis:
 * `<prefix>:traffic:<env>` (HINCRBY `<weekday>:<hour>` requests), `…:samples` (readings per
 * hour), `…:days` (distinct days sampled), `…:last` (last reading per host).
 */
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import type { ClawopsConfig } from '../config/schema.js';
import { histogramKey, type TrafficHistogram } from './quiet-hours.js';

/** Reads a host's request counter (nginx stub_status "requests", or the gateway's status); pluggable. */
export type CountReader = (host: string, signal?: AbortSignal) => Promise<number>;

export interface TrafficSamplerOptions {
  redis: Redis;
  prefix: string;
  /** The team's zone: histogram hours are wall-clock hours there. */
  timezone: string;
  readCount: CountReader;
  clock?: () => number;
  /** A gap longer than this between two readings is not attributed to one hour (default 2 h). */
  maxGapMs?: number;
  logger?: Logger;
}

export interface SampleResult {
  /** Requests added to the histogram (0 on a first reading). */
  added: number;
  /** The histogram hour of this reading's time. */
  key: string;
  /** Hosts whose counter could not be read. */
  failed: string[];
}

export interface TrafficSampler {
  /** Reads every host once and adds the growth to the histogram of `environment`. */
  sampleOnce(environment: string, hosts: readonly string[], signal?: AbortSignal): Promise<SampleResult>;
  loadHistogram(environment: string): Promise<TrafficHistogram>;
}

interface LastReading { count: number; at: number }

/** The `requests` total of an nginx stub_status page ("server accepts handled requests\n 10 10 12"). */
export function parseStubStatus(text: string): number {
  const match = /accepts\s+handled\s+requests\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text);
  if (!match?.[3]) throw new Error('not an nginx stub_status page');
  return Number(match[3]);
}

export function trafficKeys(prefix: string, environment: string) {
  const base = `${prefix}:traffic:${environment}`;
  return { counts: base, samples: `${base}:samples`, days: `${base}:days`, last: `${base}:last` };
}

export function createTrafficSampler(options: TrafficSamplerOptions): TrafficSampler {
  const { redis, prefix, timezone } = options;
  const clock = options.clock ?? Date.now;
  const maxGapMs = options.maxGapMs ?? 2 * 3600_000;
  return {
    async sampleOnce(environment, hosts, signal) {
      const keys = trafficKeys(prefix, environment);
      const now = clock();
      const at = DateTime.fromMillis(now, { zone: timezone });
      // The growth since the last reading happened between the two: file it under the midpoint's hour.
      const byHour = new Map<string, number>();
      const failed: string[] = [];
      for (const host of hosts) {
        let count: number;
        try {
          count = await options.readCount(host, signal);
        } catch (error) {
          options.logger?.warn({ err: error, host, environment }, 'traffic sample failed');
          failed.push(host);
          continue;
        }
        const raw = await redis.hget(keys.last, host);
        await redis.hset(keys.last, host, JSON.stringify({ count, at: now } satisfies LastReading));
        if (!raw) continue;
        const last = JSON.parse(raw) as LastReading;
        if (now - last.at > maxGapMs || now <= last.at) continue;
        const hour = histogramKey(DateTime.fromMillis((last.at + now) / 2, { zone: timezone }));
        // A counter that went down was reset (restart): everything since counts.
        byHour.set(hour, (byHour.get(hour) ?? 0) + (count >= last.count ? count - last.count : count));
      }
      let added = 0;
      if (byHour.size > 0) {
        const multi = redis.multi();
        for (const [hour, delta] of byHour) {
          multi.hincrby(keys.counts, hour, delta).hincrby(keys.samples, hour, 1);
          added += delta;
        }
        await multi.sadd(keys.days, at.toISODate() ?? '').exec();
      }
      const key = histogramKey(at);
      return { added, key, failed };
    },

    async loadHistogram(environment) {
      const keys = trafficKeys(prefix, environment);
      const [counts, samples, days] = await Promise.all([redis.hgetall(keys.counts), redis.hgetall(keys.samples), redis.scard(keys.days)]);
      const numbers = (record: Record<string, string>) => Object.fromEntries(Object.entries(record).map(([field, value]) => [field, Number(value)]));
      return { timezone, counts: numbers(counts), samples: numbers(samples), days };
    },
  };
}

export interface TrafficJobOptions {
  connection: Redis;
  config: ClawopsConfig;
  sampler: TrafficSampler;
  logger: Logger;
  everyMs?: number;
  queueName?: string;
}

/** Production: a BullMQ job scheduler samples every environment's hosts every `everyMs` (default 5 min). */
export async function startTrafficSampling(options: TrafficJobOptions): Promise<{ stop(): Promise<void> }> {
  const { connection, config } = options;
  const prefix = config.redis.prefix;
  const name = options.queueName ?? 'traffic';
  const queue = new Queue(name, { connection, prefix });
  await queue.upsertJobScheduler('traffic-sample', { every: options.everyMs ?? 5 * 60_000 }, { name: 'sample' });
  const worker = new Worker(name, async (_job, _token, signal) => {
    for (const [environment, env] of Object.entries(config.environments)) {
      await options.sampler.sampleOnce(environment, env.hosts.map((host) => host.name), signal);
    }
  }, { connection, prefix, concurrency: 1 });
  worker.on('error', (err) => options.logger.warn({ err }, 'traffic sampler'));
  return {
    async stop() {
      await worker.close();
      await queue.close();
    },
  };
}
