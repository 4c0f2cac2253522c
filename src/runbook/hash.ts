/**
 * The plan hash: approvals bind to the plan as shown, so it covers what a person approves —
 * kind, environment, versions, strategy, every step (id, title, host, action with argv, order,
 * gates) and every gate — and nothing that changes on its own (timestamps, timeouts, warnings).
 */
import { createHash } from 'node:crypto';
import type { Plan } from './types.js';

/** JSON with object keys sorted, so equal data always serializes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/** sha256 (hex, first 16 chars) over the approvable content of the plan. */
export function planHash(plan: Omit<Plan, 'hash'>): string {
  const shown = {
    kind: plan.kind,
    environment: plan.environment,
    fromVersions: plan.fromVersions,
    toVersion: plan.toVersion,
    strategy: plan.strategy,
    backupId: plan.backupId,
    steps: plan.steps.map((step) => ({ id: step.id, title: step.title, host: step.host, environment: step.environment, action: step.action, after: step.after })),
    gates: plan.gates,
  };
  return createHash('sha256').update(canonicalJson(shown)).digest('hex').slice(0, 16);
}
