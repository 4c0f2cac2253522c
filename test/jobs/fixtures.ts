/** Shared fixtures for engine tests: a validated config, hand-built plans, a quiet logger. */
import { pino, type Logger } from 'pino';
import { configSchema, type ClawopsConfig } from '../../src/config/schema.js';
import type { Plan, PlanGate, PlanStep } from '../../src/runbook/types.js';

export const HOST_KEY = `SHA256:${'A'.repeat(43)}`;

export function testConfig(overrides: { prefix?: string; approvals?: Record<string, unknown>; redisUrl?: string } = {}): ClawopsConfig {
  return configSchema.parse({
    environments: {
      staging: { hosts: [{ name: 'host-a', address: '127.0.0.1', hostKey: HOST_KEY, strategy: { kind: 'pm2' } }] },
      production: { hosts: [{ name: 'host-b', address: '127.0.0.1', hostKey: HOST_KEY, strategy: { kind: 'pm2' } }] },
    },
    approvals: { slack: { users: ['U-ALICE', 'U-BOB', 'U-CAROL'], userGroups: ['S-OPS'] }, discord: { users: [], roles: ['R-OPS'] }, ...overrides.approvals },
    redis: { prefix: overrides.prefix ?? 'clawops', ...(overrides.redisUrl ? { url: overrides.redisUrl } : {}) },
  });
}

export function quietLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A step running `sh -c script` on a host. */
export function shStep(id: string, script: string, options: Partial<PlanStep> = {}): PlanStep {
  return {
    id, title: options.title ?? id, kind: options.kind ?? 'probe', host: options.host ?? 'host-a', environment: options.environment ?? 'staging',
    action: { type: 'command', argv: ['sh', '-c', script] }, timeoutMs: options.timeoutMs ?? 30_000, safeToRepeat: options.safeToRepeat ?? true,
    ...(options.verify ? { verify: options.verify } : {}), ...(options.after ? { after: options.after } : {}),
  };
}

export function makePlan(steps: PlanStep[], options: { gates?: PlanGate[]; environment?: string; hash?: string } = {}): Plan {
  return {
    kind: 'upgrade', environment: options.environment ?? 'staging', fromVersions: { 'host-a': '2026.9.1' }, toVersion: '2026.9.2',
    updateType: 'patch', strategy: 'pm2', expectedDowntime: '4–12 s (restart)', warnings: [],
    steps, gates: options.gates ?? [], hash: options.hash ?? `hash-${steps.map((step) => step.id).join('-')}`,
  };
}

export const alice = { platform: 'slack', userId: 'U-ALICE', displayName: 'alice' } as const;
export const bob = { platform: 'slack', userId: 'U-BOB', displayName: 'bob' } as const;
export const carol = { platform: 'slack', userId: 'U-CAROL', displayName: 'carol' } as const;
export const mallory = { platform: 'slack', userId: 'U-MALLORY', displayName: 'mallory' } as const;
