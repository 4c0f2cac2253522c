/** The Redis-backed pieces the engine (chat side) and the worker share. */
import type { Redis } from 'ioredis';
import { AuditStore } from '../audit/store.js';
import { ApprovalStore } from './approvals.js';
import { EventStream } from './event-stream.js';
import type { UpgradeEvent } from './events.js';
import { EnvironmentLocks } from './lock.js';
import { UPGRADE_QUEUE } from './queue.js';

export interface JobServices {
  redis: Redis;
  prefix: string;
  queueName: string;
  now: () => number;
  events: EventStream;
  audit: AuditStore;
  approvals: ApprovalStore;
  locks: EnvironmentLocks;
  /** Publishes an event on the stream and applies it to the audit record. */
  emit(event: UpgradeEvent): Promise<void>;
  /** Cancel requests, checked by the worker before each step. */
  requestCancel(upgradeId: string, by: string): Promise<void>;
  cancelRequestedBy(upgradeId: string): Promise<string | null>;
  /** True for the first caller only: an upgrade is finished once (worker, failed handler, retries). */
  claimFinish(upgradeId: string): Promise<boolean>;
  isFinished(upgradeId: string): Promise<boolean>;
}

export function createServices(redis: Redis, prefix: string, now: () => number = Date.now, queueName = UPGRADE_QUEUE): JobServices {
  const events = new EventStream(redis, prefix);
  const audit = new AuditStore(redis, prefix, now);
  const ttl = 30 * 24 * 3600;
  return {
    redis, prefix, queueName, now, events, audit,
    approvals: new ApprovalStore(redis, prefix, queueName),
    locks: new EnvironmentLocks(redis, prefix),
    async emit(event) {
      // Audit first: whoever reacts to an event (a `finished` in chat, `clawops history`) finds it recorded.
      await audit.record(event);
      await events.publish(event);
    },
    async requestCancel(upgradeId, by) {
      await redis.set(`${prefix}:cancel:${upgradeId}`, by, 'EX', ttl);
    },
    async cancelRequestedBy(upgradeId) {
      return redis.get(`${prefix}:cancel:${upgradeId}`);
    },
    async claimFinish(upgradeId) {
      return (await redis.set(`${prefix}:finished:${upgradeId}`, String(now()), 'EX', ttl, 'NX')) === 'OK';
    },
    async isFinished(upgradeId) {
      return (await redis.exists(`${prefix}:finished:${upgradeId}`)) === 1;
    },
  };
}
