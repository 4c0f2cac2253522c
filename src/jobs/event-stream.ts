/**
 * Upgrade events on Redis Streams: every event goes to `<prefix>:events` (all upgrades) and
 * `<prefix>:events:<upgradeId>` (one upgrade). Streams, unlike pub/sub, keep history: a chat
 * gateway that restarts subscribes again and replays an upgrade from its start, or resumes
 * the global stream from the last id it saw.
 */
import type { Redis } from 'ioredis';
import type { UpgradeEvent } from './events.js';

export interface EventMeta {
  /** Stream entry id of the global stream; pass as `fromId` to resume after it. */
  id: string;
}

export type EventHandler = (event: UpgradeEvent, meta: EventMeta) => void;

export interface SubscribeOptions {
  /**
   * Stream id to read after. Default: one upgrade replays from its first event; `'*'` starts
   * with events published after the call.
   */
  fromId?: string;
}

const GLOBAL_MAX_LEN = 50_000;
const UPGRADE_TTL_SECONDS = 30 * 24 * 3600;

export class EventStream {
  private readonly readers = new Set<Redis>();

  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(upgradeId: string): string {
    return upgradeId === '*' ? `${this.prefix}:events` : `${this.prefix}:events:${upgradeId}`;
  }

  async publish(event: UpgradeEvent): Promise<string> {
    const payload = JSON.stringify(event);
    const perUpgrade = this.key(event.upgradeId);
    const results = await this.redis.multi()
      .xadd(this.key('*'), 'MAXLEN', '~', String(GLOBAL_MAX_LEN), '*', 'upgradeId', event.upgradeId, 'event', payload)
      .xadd(perUpgrade, '*', 'event', payload)
      .expire(perUpgrade, UPGRADE_TTL_SECONDS)
      .exec();
    const id = results?.[0]?.[1];
    return typeof id === 'string' ? id : '';
  }

  /** Every event of one upgrade so far, in order. */
  async history(upgradeId: string): Promise<UpgradeEvent[]> {
    const entries = await this.redis.xrange(this.key(upgradeId), '-', '+');
    return entries.map(([, fields]) => parseFields(fields)).filter((event): event is UpgradeEvent => event !== null);
  }

  subscribe(upgradeId: string, handler: EventHandler, options: SubscribeOptions = {}): () => void {
    const reader = this.redis.duplicate();
    this.readers.add(reader);
    let stopped = false;
    const key = this.key(upgradeId);
    const loop = async () => {
      let last = options.fromId ?? (upgradeId === '*' ? await lastId(reader, key) : '0-0');
      while (!stopped) {
        const response = await reader.xread('COUNT', 100, 'BLOCK', 1000, 'STREAMS', key, last);
        for (const [, entries] of response ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            const event = parseFields(fields);
            if (!event || stopped) continue;
            try {
              handler(event, { id });
            } catch {
              // A failing handler must not stop the stream for the others.
            }
          }
        }
      }
    };
    loop().catch(() => { /* reader disconnected on unsubscribe/close */ });
    return () => {
      stopped = true;
      this.readers.delete(reader);
      reader.disconnect();
    };
  }

  async close(): Promise<void> {
    for (const reader of this.readers) reader.disconnect();
    this.readers.clear();
  }
}

async function lastId(redis: Redis, key: string): Promise<string> {
  const newest = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
  return newest[0]?.[0] ?? '0-0';
}

function parseFields(fields: string[]): UpgradeEvent | null {
  const index = fields.indexOf('event');
  const raw = index >= 0 ? fields[index + 1] : undefined;
  if (raw === undefined) return null;
  try {
    return JSON.parse(raw) as UpgradeEvent;
  } catch {
    return null;
  }
}
