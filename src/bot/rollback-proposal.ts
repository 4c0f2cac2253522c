/**
 * Which rollback a proposal stands for, read from the audit record of the run that proposed it:
 * the same per-host judgement as the worker's (src/runbook/select.ts `rollbackScopeOf`). Pure.
 */
import type { UpgradeRecord } from '../audit/store.js';
import { hostEnvironments } from '../audit/last-upgrade.js';
import type { ClawopsConfig } from '../config/schema.js';
import { rollbackScopeOf, type RollbackScope } from '../runbook/select.js';

export function proposedScope(record: UpgradeRecord, config: ClawopsConfig): RollbackScope | null {
  const envOf = hostEnvironments(config);
  return rollbackScopeOf(record.environment, record.steps.map((step) => ({
    environment: step.host === undefined ? record.environment : envOf.get(step.host) ?? record.environment,
    kind: step.kind,
    done: step.status === 'succeeded',
    ...(step.host === undefined ? {} : { host: step.host }),
  })));
}

/** The note under the run's thread when its rollback is planned (or could not be). */
export function proposalNote(scope: RollbackScope, result: { ok: true; upgradeId: string } | { ok: false; message: string }): string {
  const head = result.ok
    ? `↩️ Rollback planned as ${result.upgradeId} for ${scope.hosts.join(', ')} (${scope.environment}): it waits for approval in its own thread.`
    : `↩️ Could not plan the rollback of ${scope.hosts.join(', ')} (${scope.environment}): ${result.message}`;
  if (scope.keptStaging.length === 0) return head;
  return `${head} Staging (${scope.keptStaging.join(', ')}) passed and keeps the new version; to roll it back too: /openclaw rollback ${scope.environment} --with-staging`;
}
