/**
 * Runs one chaos cell end to end on a fleet of its own (a fleet starts in ~3 s, so no cell
 * inherits another's PM2 counts, journals, npm cache or half-done state): submit the upgrade,
 * run it in a worker process, inject the fault when the cell's event arrives, approve every gate
 * as an operator would, wait for the end, then gather what the hosts and the audit show.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UpgradeEvent } from '../../src/jobs/events.js';
import { ATTEMPTS_DIR, journalName, parseJournal } from '../../src/remote/host-fence.js';
import { approver, npmInstallRuns, PM2_HOME, requester, startUpgradeFleet, type UpgradeFleet } from '../harness/fleet-fixture.js';
import type { TestHost } from '../harness/hosts.js';
import { probeFromHost } from '../harness/openclaw.js';
import { pm2Jlist } from '../harness/pm2.js';
import type { DoubleVersion } from '../harness/registry.js';
import { workerChildren } from '../jobs/worker-children.js';
import type { EventLog } from '../jobs/engine-harness.js';
import { netCut, redisDown, sleep, sshDrop } from './faults.js';
import { judge, type HostEvidence, type Verdict } from './judge.js';
import {
  FROM_VERSION, GATED_VERSION, SLOW_KILL_AFTER_MS, SLOW_STARTUP_MS, SLOW_TARBALL_MS, SLOW_VERSIONS, TO_VERSION, targetOf, type Cell, type Strategy,
} from './matrix.js';
import { slowRegistry } from './slow-registry.js';

export interface CellResult extends Verdict {
  id: string;
  strategy: Strategy;
  /** Submit to `finished`. */
  seconds: number;
}

/** How each target release is built (a cell's registry packs only its start and target releases). */
const RELEASES: Readonly<Record<string, DoubleVersion>> = {
  [GATED_VERSION]: { version: GATED_VERSION, breaking: [['Config', 'gateway.bind no longer accepts "all"; use "lan". (#140300)']] },
  [SLOW_VERSIONS.startup]: { version: SLOW_VERSIONS.startup, startupDelayMs: SLOW_STARTUP_MS },
};
const WORKER = 'test/e2e/upgrade-worker-process.ts';
const FINISH_TIMEOUT_MS = 300_000;
/** After `finished`, how long an orphan gets to act before the journals are read. */
const ORPHAN_WINDOW_MS = 3_000;

/** The steps of the plan a strategy's upgrade gets on a fresh fleet (read once for the full matrix). */
export async function planSteps(strategy: Strategy, hosts: number): Promise<Array<{ id: string; safeToRepeat: boolean }>> {
  const f = await startUpgradeFleet({ strategy, hosts, versions: [FROM_VERSION, TO_VERSION], initialVersion: FROM_VERSION, redisPrefix: 'chaos-plan', worker: false });
  try {
    const submitted = await f.engine.submit({ ...f.upgrade(TO_VERSION), dryRun: true }, requester);
    if (!submitted.ok) throw new Error(submitted.message);
    return submitted.plan.steps.map((step) => ({ id: step.id, safeToRepeat: step.safeToRepeat }));
  } finally {
    await f.stop();
  }
}

const isStep = (type: 'step-started' | 'step-finished', stepId: string) => (event: UpgradeEvent) => event.type === type && event.stepId === stepId;

/** Approves every gate once it waits, except while `hold` says not yet (the gate cell's outage). */
function approveGates(f: UpgradeFleet, upgradeId: string, log: EventLog, notes: string[]): { hold: boolean; stop(): void } {
  const handled = new Set<number>();
  const state = { hold: false, stop: () => clearInterval(timer) };
  let busy = false;
  const timer = setInterval(() => {
    if (busy || state.hold) return;
    busy = true;
    void (async () => {
      for (const [index, event] of log.events.entries()) {
        if (event.type !== 'gate-waiting' || handled.has(index)) continue;
        const result = await f.engine.decide(upgradeId, { ...approver, decision: 'approve' }).catch(() => undefined);
        if (result?.counted) handled.add(index);
        else if (result && !/no gate is waiting/.test(result.reason ?? '')) { handled.add(index); notes.push(`approval of ${event.gateId} not counted: ${result.reason}`); }
      }
    })().finally(() => { busy = false; });
  }, 250);
  return state;
}

function hostOf(f: UpgradeFleet, stepId: string): TestHost {
  const host = f.hosts.find((candidate) => stepId.startsWith(`${candidate.name}:`));
  if (!host) throw new Error(`no host runs ${stepId}`);
  return host;
}

async function restartsOf(f: UpgradeFleet, host: TestHost): Promise<number | undefined> {
  const apps = await pm2Jlist(f.shell, host.target, { pm2Home: PM2_HOME }).catch(() => []);
  return apps.find((app) => app.name === 'openclaw')?.restarts;
}

const journalOf = (host: TestHost, upgradeId: string) => readFile(join(host.homeDir, ATTEMPTS_DIR, journalName(upgradeId)), 'utf8').catch(() => null);

/** Resolves once the host journal has an `end` line of the step (polled every 2 ms: the worker records it within milliseconds). */
async function hostEnded(host: TestHost, upgradeId: string, stepId: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!parseJournal(await journalOf(host, upgradeId) ?? '').some((entry) => entry.event === 'end' && entry.label === stepId)) {
    if (Date.now() > deadline) throw new Error(`${stepId} never ended on ${host.name}`);
    await sleep(2);
  }
}

async function hostEvidence(f: UpgradeFleet, cell: Cell, upgradeId: string, host: TestHost, restartsBefore: number | undefined): Promise<HostEvidence> {
  const text = await journalOf(host, upgradeId);
  // pm2 serves on its gateway's port; blue-green through nginx on :80, whichever color is behind it.
  const port = cell.strategy === 'pm2' ? 18789 : 80;
  const [root, ready] = await Promise.all([probeFromHost(f.shell, host.target, port, '/'), probeFromHost(f.shell, host.target, port, '/readyz')]);
  const version = (root.body as { version?: unknown } | null)?.version;
  const after = cell.strategy === 'pm2' ? await restartsOf(f, host) : undefined;
  return {
    host: host.name,
    journal: text === null ? null : parseJournal(text),
    installRuns: await npmInstallRuns(host, targetOf(cell)),
    ...(after === undefined || restartsBefore === undefined ? {} : { inPlaceRestarts: after - restartsBefore }),
    serving: { version: typeof version === 'string' ? version : null, ready: ready.status === 200 },
  };
}

/** Waits for the cell's moment, then injects its fault; returns notes (an `invalid:` one when the fault missed). */
async function inject(f: UpgradeFleet, cell: Cell, upgradeId: string, log: EventLog, gates: { hold: boolean }, restartWorker: () => Promise<void>): Promise<string[]> {
  const { fault } = cell;
  if (fault.kind === 'redis-down-gate') {
    gates.hold = true;
    await log.waitFor((event) => event.type === 'gate-waiting', 120_000);
    // Parked: the job is delayed in Redis, nobody holds its lock.
    await sleep(1_000);
    await redisDown(f.redis, fault.ms);
    gates.hold = false;
    return [];
  }
  const started = await log.waitFor(isStep('step-started', fault.stepId), 180_000);
  if (fault.kind === 'kill' && fault.at === 'after') await log.waitFor(isStep('step-finished', fault.stepId), 180_000);
  if (fault.kind === 'kill' && fault.at === 'host-end') {
    await hostEnded(hostOf(f, fault.stepId), upgradeId, fault.stepId);
    await restartWorker();
    // Which side of the race the kill landed on: whether the step was recorded done before it.
    return [`killed ${log.events.some(isStep('step-finished', fault.stepId)) ? 'after' : 'before'} its step-finished event`];
  }
  if (cell.slow) {
    // Into the slowed command: past the takeover time for a kill, well inside it for the others.
    const into = fault.kind === 'kill' ? SLOW_KILL_AFTER_MS : 1_000;
    await sleep(Math.max(0, Date.parse((started as { at: string }).at) + into - Date.now()));
    if (log.events.some(isStep('step-finished', fault.stepId))) return [`invalid: ${fault.stepId} ended before the fault landed`];
  }
  switch (fault.kind) {
    case 'kill': await restartWorker(); return [];
    case 'redis-down': await redisDown(f.redis, fault.ms); return [];
    case 'ssh-drop': return (await sshDrop(hostOf(f, fault.stepId))) === 0 ? [`invalid: no SSH session on ${fault.stepId}'s host`] : [];
    case 'net-cut': await netCut(hostOf(f, fault.stepId), fault.ms); return [];
  }
}

/** CLAWOPS_CHAOS_DEBUG=1: what a failing cell is investigated from (events in order, each host's journal). */
function debugDump(cell: Cell, events: readonly UpgradeEvent[], evidence: readonly HostEvidence[]): void {
  const said = events.map((event) => `${event.type}${'stepId' in event ? ` ${event.stepId}` : ''}${'gateId' in event ? ` ${event.gateId}` : ''}`
    + `${event.type === 'log' || event.type === 'step-skipped' ? `: ${'message' in event ? event.message : event.reason}` : ''}${event.type === 'step-failed' ? `: ${event.error}` : ''}`);
  const journals = evidence.map((host) => `${host.host} (npm installs ${host.installRuns}, restarts ${host.inPlaceRestarts ?? '-'}):\n`
    + (host.journal ?? []).map((entry) => `  ${entry.at} ${entry.token} ${entry.event} ${entry.label}${entry.exitCode === undefined ? '' : ` ${entry.exitCode}`}`).join('\n'));
  console.log(`--- ${cell.id}\n${said.join('\n')}\n${journals.join('\n')}`);
}

export async function runCell(cell: Cell, hosts: number): Promise<CellResult> {
  const target = targetOf(cell);
  const f = await startUpgradeFleet({
    strategy: cell.strategy, hosts, versions: [FROM_VERSION, RELEASES[target] ?? target], initialVersion: FROM_VERSION, redisPrefix: 'chaos', worker: false, readySeconds: 30,
    // pm2 keeps the app's env across reloads, so a slow start-up is the app's, not the release's.
    ...(cell.slow === 'startup' && cell.strategy === 'pm2' ? { startupMs: SLOW_STARTUP_MS } : {}),
  });
  const slow = cell.slow === 'install' ? await slowRegistry(f.hosts, f.registry, target, SLOW_TARBALL_MS) : undefined;
  const workers = workerChildren();
  const env = { CLAWOPS_FLEET_CONFIG: JSON.stringify(f.configInput) };
  try {
    const restartsBefore = await Promise.all(f.hosts.map((host) => cell.strategy === 'pm2' ? restartsOf(f, host) : Promise.resolve(undefined)));
    const submitted = await f.engine.submit(f.upgrade(target), requester);
    if (!submitted.ok) throw new Error(submitted.message);
    slow?.enable();
    const began = Date.now();
    const log = f.record(submitted.upgradeId);
    let worker = await workers.start(WORKER, env);
    const notes: string[] = [];
    const gates = approveGates(f, submitted.upgradeId, log, notes);
    const restartWorker = async () => {
      await workers.stop(worker);
      worker = await workers.start(WORKER, env);
    };
    notes.push(...await inject(f, cell, submitted.upgradeId, log, gates, restartWorker).catch((error: unknown) => [`invalid: the fault was not injected: ${String(error)}`]));
    await log.waitFor((event) => event.type === 'finished', FINISH_TIMEOUT_MS).catch(() => undefined);
    const seconds = (Date.now() - began) / 1000;
    await sleep(ORPHAN_WINDOW_MS);
    gates.stop();
    log.stop();
    const evidence = await Promise.all(f.hosts.map((host, index) => hostEvidence(f, cell, submitted.upgradeId, host, restartsBefore[index])));
    if (process.env.CLAWOPS_CHAOS_DEBUG) debugDump(cell, log.events, evidence);
    const verdict = judge({
      steps: submitted.plan.steps, events: log.events, audit: await f.engine.audit.get(submitted.upgradeId), hosts: evidence,
      target, expectedOutcome: 'succeeded', runnerNotes: notes,
    });
    return { id: cell.id, strategy: cell.strategy, seconds, ...verdict };
  } finally {
    workers.killAll();
    await slow?.stop();
    await f.stop();
  }
}
