/**
 * The upgrade log, durable in Redis: one hash per upgrade (built from the same events the chat
 * sees, so the record and the thread never disagree), plus a sorted set by time per environment
 * and one for all. Refused commands are kept too, so "who tried what" is answerable.
 */
import type { Redis } from 'ioredis';
import type { Approval, Requester, UpgradeEvent } from '../jobs/events.js';
import type { Plan } from '../runbook/types.js';

export interface AuditStep {
  stepId: string;
  title: string;
  host?: string;
  kind: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
  /** How many times the step was started (more than 1 after a resume that re-ran it). */
  runs: number;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  exitCode?: number;
  excerpt?: string;
  error?: string;
}

export interface AuditApproval extends Approval {
  gateId: string;
  counted: boolean;
  /** Why it did not count. */
  note?: string;
  /** It came after its gate closed or the upgrade finished; `note` says which. */
  late?: boolean;
  /** Where a late one was given (`platform:channel:message`), when it came from chat. */
  message?: string;
}

export interface AuditGate {
  gateId: string;
  /** The gate's title in the plan (records written before titles were kept: absent). */
  title?: string;
  status: 'waiting' | 'passed' | 'rejected' | 'expired';
  at: string;
  approvers?: Approval[];
  rejectedBy?: Approval;
}

/** Everything about one upgrade: who, what, when, plan hash, every step, approvals, outcome. */
export interface UpgradeRecord {
  type: 'upgrade';
  upgradeId: string;
  kind: Plan['kind'];
  environment: string;
  requester: Requester;
  requestedAt: string;
  toVersion: string;
  fromVersions: Readonly<Record<string, string>>;
  strategy: string;
  planHash: string;
  steps: AuditStep[];
  gates: AuditGate[];
  approvals: AuditApproval[];
  outcome?: Extract<UpgradeEvent, { type: 'finished' }>['outcome'];
  summary?: string;
  finishedAt?: string;
}

export interface RefusalRecord {
  type: 'refusal';
  id: string;
  at: string;
  requester: Requester;
  environment?: string;
  /** The command as typed, or a short rendering of it. */
  command: string;
  code: string;
  message: string;
}

export type HistoryEntry = UpgradeRecord | RefusalRecord;

interface Meta extends Omit<UpgradeRecord, 'steps' | 'gates' | 'approvals' | 'outcome' | 'summary' | 'finishedAt'> {
  order: Array<Pick<AuditStep, 'stepId' | 'title' | 'host' | 'kind'>>;
  /** Gate id -> title, so a gate that passed without waiting is named too. */
  gateTitles?: Record<string, string>;
}

export class AuditStore {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly now: () => number = Date.now) {}

  private upgradeKey(id: string): string { return `${this.prefix}:audit:upgrade:${id}`; }
  private indexKey(environment?: string): string { return environment ? `${this.prefix}:audit:env:${environment}` : `${this.prefix}:audit:all`; }

  /** Applies one upgrade event to its record. Dry-run plans are not upgrades and are not recorded. */
  async record(event: UpgradeEvent): Promise<void> {
    const key = this.upgradeKey(event.upgradeId);
    const at = new Date(this.now()).toISOString();
    switch (event.type) {
      case 'plan': {
        if (event.dryRun) return;
        const { plan } = event;
        const meta: Meta = {
          type: 'upgrade', upgradeId: event.upgradeId, kind: plan.kind, environment: plan.environment, requester: event.requester,
          requestedAt: at, toVersion: plan.toVersion, fromVersions: plan.fromVersions, strategy: plan.strategy, planHash: plan.hash,
          order: plan.steps.map((step) => ({ stepId: step.id, title: step.title, kind: step.kind, ...(step.host ? { host: step.host } : {}) })),
          gateTitles: Object.fromEntries(plan.gates.map((gate) => [gate.id, gate.title])),
        };
        const member = `upgrade:${event.upgradeId}`;
        await this.redis.multi().hset(key, 'meta', JSON.stringify(meta))
          .zadd(this.indexKey(plan.environment), this.now(), member).zadd(this.indexKey(), this.now(), member).exec();
        return;
      }
      case 'step-started':
        await this.updateStep(key, event.stepId, (step) => ({ ...step, status: 'running', runs: step.runs + 1, startedAt: event.at }));
        return;
      case 'step-finished':
        await this.updateStep(key, event.stepId, (step) => ({
          ...step, status: 'succeeded', finishedAt: event.at, durationMs: event.durationMs,
          ...(event.exitCode === undefined ? {} : { exitCode: event.exitCode }), ...(event.excerpt ? { excerpt: event.excerpt } : {}),
        }));
        return;
      case 'step-failed':
        await this.updateStep(key, event.stepId, (step) => ({
          ...step, status: 'failed', finishedAt: event.at, durationMs: event.durationMs, excerpt: event.excerpt, error: event.error,
          ...(event.exitCode === undefined ? {} : { exitCode: event.exitCode }),
        }));
        return;
      case 'step-skipped':
        await this.updateStep(key, event.stepId, (step) => ({ ...step, status: 'skipped', error: event.reason }));
        return;
      case 'gate-approval':
        await this.addApproval(key, { ...event.approval, gateId: event.gateId, counted: event.counted, ...(event.note ? { note: event.note } : {}) });
        return;
      case 'gate-waiting':
      case 'gate-passed':
      case 'gate-rejected':
      case 'gate-expired': {
        const status = ({ 'gate-waiting': 'waiting', 'gate-passed': 'passed', 'gate-rejected': 'rejected', 'gate-expired': 'expired' } as const)[event.type];
        const who = event.type === 'gate-passed' ? { approvers: event.approvers } : event.type === 'gate-rejected' ? { rejectedBy: event.by } : {};
        // Gates the plan does not list (a closed window's question) are titled by their waiting event only.
        const previous = event.type === 'gate-waiting' ? null : await this.redis.hget(key, `gate:${event.gateId}`);
        const title = event.type === 'gate-waiting' ? event.title : previous === null ? undefined : (JSON.parse(previous) as AuditGate).title;
        const gate: AuditGate = { gateId: event.gateId, ...(title === undefined ? {} : { title }), status, at, ...who };
        await this.redis.hset(key, `gate:${event.gateId}`, JSON.stringify(gate));
        return;
      }
      case 'finished':
        await this.redis.hset(key, 'outcome', event.outcome, 'summary', event.summary, 'finishedAt', at);
        return;
      default:
        return;
    }
  }

  /**
   * A decision that came after its gate closed or the upgrade finished. It is not an event of
   * the upgrade (its thread may be complete already); the person is answered in chat instead.
   * Nothing is recorded for an upgrade without a record (a dry run).
   */
  async recordLate(upgradeId: string, approval: Omit<AuditApproval, 'counted' | 'late'>): Promise<boolean> {
    const key = this.upgradeKey(upgradeId);
    if (!(await this.redis.hexists(key, 'meta'))) return false;
    await this.addApproval(key, { ...approval, counted: false, late: true });
    return true;
  }

  private async addApproval(key: string, approval: AuditApproval): Promise<void> {
    const seq = await this.redis.hincrby(key, 'approvals', 1);
    await this.redis.hset(key, `approval:${String(seq).padStart(6, '0')}`, JSON.stringify(approval));
  }

  async recordRefusal(refusal: Omit<RefusalRecord, 'type' | 'id' | 'at'> & { at?: string }): Promise<RefusalRecord> {
    const at = refusal.at ?? new Date(this.now()).toISOString();
    const id = `${Date.parse(at)}-${Math.random().toString(36).slice(2, 10)}`;
    const record: RefusalRecord = { ...refusal, type: 'refusal', id, at };
    const member = `refusal:${id}`;
    const multi = this.redis.multi().set(`${this.prefix}:audit:refusal:${id}`, JSON.stringify(record)).zadd(this.indexKey(), Date.parse(at), member);
    if (refusal.environment) multi.zadd(this.indexKey(refusal.environment), Date.parse(at), member);
    await multi.exec();
    return record;
  }

  async get(upgradeId: string): Promise<UpgradeRecord | null> {
    const fields = await this.redis.hgetall(this.upgradeKey(upgradeId));
    if (!fields.meta) return null;
    const { order, gateTitles, ...meta } = JSON.parse(fields.meta) as Meta;
    const steps = order.map((entry) => {
      const raw = fields[`step:${entry.stepId}`];
      return raw ? JSON.parse(raw) as AuditStep : { ...entry, status: 'pending' as const, runs: 0 };
    });
    const pick = <T>(prefix: string) => Object.entries(fields).filter(([name]) => name.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b)).map(([, value]) => JSON.parse(value) as T);
    const approvals = pick<AuditApproval>('approval:');
    return {
      ...meta, steps, approvals,
      gates: pick<AuditGate>('gate:').map((gate) => {
        const title = gateTitles?.[gate.gateId];
        return title === undefined ? gate : { ...gate, title };
      }),
      ...(fields.outcome ? { outcome: fields.outcome as NonNullable<UpgradeRecord['outcome']> } : {}),
      ...(fields.summary ? { summary: fields.summary } : {}),
      ...(fields.finishedAt ? { finishedAt: fields.finishedAt } : {}),
    };
  }

  /** Newest first: upgrades and refusals of one environment (or all). */
  async listHistory(environment?: string, limit = 20): Promise<HistoryEntry[]> {
    const members = await this.redis.zrevrange(this.indexKey(environment), 0, Math.max(0, limit - 1));
    const entries: HistoryEntry[] = [];
    for (const member of members) {
      const [type, id] = splitMember(member);
      if (type === 'upgrade') {
        const record = await this.get(id);
        if (record) entries.push(record);
      } else {
        const raw = await this.redis.get(`${this.prefix}:audit:refusal:${id}`);
        if (raw) entries.push(JSON.parse(raw) as RefusalRecord);
      }
    }
    return entries;
  }

  private async updateStep(key: string, stepId: string, change: (step: AuditStep) => AuditStep): Promise<void> {
    const [raw, metaRaw] = await this.redis.hmget(key, `step:${stepId}`, 'meta');
    let step: AuditStep;
    if (raw) step = JSON.parse(raw) as AuditStep;
    else {
      const entry = metaRaw ? (JSON.parse(metaRaw) as Meta).order.find((candidate) => candidate.stepId === stepId) : undefined;
      step = { stepId, title: entry?.title ?? stepId, kind: entry?.kind ?? 'unknown', status: 'pending', runs: 0, ...(entry?.host ? { host: entry.host } : {}) };
    }
    await this.redis.hset(key, `step:${stepId}`, JSON.stringify(change(step)));
  }
}

function splitMember(member: string): ['upgrade' | 'refusal', string] {
  const index = member.indexOf(':');
  return [member.slice(0, index) === 'refusal' ? 'refusal' : 'upgrade', member.slice(index + 1)];
}
