import { afterAll, beforeAll, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from './redis.js';

let server: RedisServer;
beforeAll(async () => { server = await startRedis({ appendOnly: true }); });
afterAll(async () => { await server.stop(); });

test('a private Redis keeps data across a restart when append-only is on', async () => {
  const client = new Redis(server.url, { maxRetriesPerRequest: null, lazyConnect: true });
  await client.connect();
  await client.set('k', 'v');
  await server.restart();
  await new Promise((r) => setTimeout(r, 200));
  expect(await client.get('k')).toBe('v');
  client.disconnect();
});
