/** Late decisions in the audit, on a real Redis: what is kept, and how the engine side judges them. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { settleLate } from '../../../src/jobs/gates.js';
import { createServices } from '../../../src/jobs/services.js';
import { approval, samplePlan } from '../../chat/render-fixtures.js';
import { startRedis, type RedisServer } from '../../harness/redis.js';

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

const plan = samplePlan({
  gates: [
    { id: 'skip-staging', title: 'Skip staging', reason: 'skip-staging', beforeStep: 'host-a:backup' },
    { id: 'switch', title: 'Switch production traffic', reason: 'switch-traffic', beforeStep: 'host-a:switch' },
  ],
});
const bob = approval('U2', 'slack', 'approve', 'bob');
const erin = { platform: 'discord' as const, userId: 'D5', displayName: 'erin', decision: 'approve' as const };

test('a reaction on a passed gate while the next one waits is kept as late for the passed gate, and counts for neither', async () => {
  let now = Date.parse('2026-05-01T10:05:00.000Z');
  const services = createServices(redis, 'late1', () => now);
  const upgradeId = 'up-late-1';
  await services.emit({ type: 'plan', upgradeId, plan, requester: { platform: 'slack', userId: 'U1', displayName: 'alice' }, dryRun: false });
  await services.emit({ type: 'gate-passed', upgradeId, gateId: 'skip-staging', approvers: [bob] });
  const waiting = { gateId: 'switch', title: 'Switch production traffic', planHash: plan.hash, deadline: now + 60_000, requester: { platform: 'slack' as const, userId: 'U1' }, environment: 'production' };
  await services.emit({ type: 'gate-waiting', upgradeId, gateId: 'switch', title: waiting.title, deadline: new Date(waiting.deadline).toISOString(), planHash: plan.hash, needed: 1 });

  const result = await settleLate(services, upgradeId, waiting, { ...erin, gateId: 'skip-staging', message: 'discord:C1:M9' }, now);
  expect(result).toEqual({ counted: false, late: true, gateId: 'skip-staging', gateTitle: 'Skip staging', reason: 'gate already passed' });
  // On time for the open gate: judged as usual, nothing recorded here.
  expect(await settleLate(services, upgradeId, waiting, { ...erin, gateId: 'switch' }, now)).toBeNull();

  now += 120_000;
  await services.emit({ type: 'gate-expired', upgradeId, gateId: 'switch' });
  await services.emit({ type: 'finished', upgradeId, outcome: 'expired', summary: 'nobody approved in time' });
  expect(await settleLate(services, upgradeId, null, { ...erin, decision: 'reject' }, now)).toMatchObject({ late: true, gateId: 'switch', reason: 'gate already expired' });

  const record = await services.audit.get(upgradeId);
  expect(record?.approvals).toEqual([
    { platform: 'discord', userId: 'D5', displayName: 'erin', decision: 'approve', at: '2026-05-01T10:05:00.000Z', planHash: plan.hash, gateId: 'skip-staging', counted: false, late: true, note: 'gate already passed', message: 'discord:C1:M9' },
    expect.objectContaining({ decision: 'reject', gateId: 'switch', late: true, note: 'gate already expired', at: '2026-05-01T10:07:00.000Z' }),
  ]);
  expect(record?.gates).toEqual([
    expect.objectContaining({ gateId: 'skip-staging', title: 'Skip staging', status: 'passed', approvers: [bob] }),
    expect.objectContaining({ gateId: 'switch', title: 'Switch production traffic', status: 'expired' }),
  ]);
});

test('a dry run, or an upgrade nobody recorded, keeps nothing', async () => {
  const services = createServices(redis, 'late2');
  expect(await services.audit.recordLate('up-none', { ...bob, gateId: 'g', note: 'upgrade already finished' })).toBe(false);
  expect(await settleLate(services, 'up-none', null, erin, Date.now())).toBeNull();
  expect(await redis.exists('late2:audit:upgrade:up-none')).toBe(0);
});
