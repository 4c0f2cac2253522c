/**
 * `clawops say` as a person runs it: the process, from start to exit, around an upgrade and a
 * rollback of a PM2 fleet (OpenClaw double 1.2.0 <-> 1.3.0, worker inside the process). Splits
 * the wall time into planning (start → "queued"), the job (queued → the engine's `finished`) and
 * the exit delay (`finished` → the process exits; gates are approved at once by a second person), which used to be 10 s: a fallback timer that
 * kept the event loop alive after the report. Goal: exit delay ≤ 1 s.
 *
 *   npm run bench:say -- [--runs 3] [--hosts 1]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { approver, startUpgradeFleet, type UpgradeFleet } from '../test/harness/fleet-fixture.js';
import { median, seconds } from './lib/stack.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, hosts: { type: 'string', default: '1' } } });
const runs = Math.max(1, Math.min(10, Number(values.runs)));
const hosts = Math.max(1, Math.min(10, Number(values.hosts)));
const BIN = fileURLToPath(new URL('../bin/clawops.js', import.meta.url));

interface SayRun { code: number | null; wallMs: number; planningMs: number; jobMs: number; exitDelayMs: number }

/** Runs one `clawops say`, watching the upgrade it queues through the fixture's engine (same Redis). */
async function say(f: UpgradeFleet, configPath: string, text: string): Promise<SayRun> {
  const started = Date.now();
  let queuedAt = 0;
  let finishedAt = 0;
  const child = spawn(process.execPath, [BIN, '--config', configPath, 'say', text, '--as', 'alice'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (chunk: Buffer) => {
    const queued = /upgrade (\S+) queued/.exec(chunk.toString());
    if (queued === null || queuedAt !== 0) return;
    queuedAt = Date.now();
    const upgradeId = queued[1] as string;
    f.engine.subscribe(upgradeId, (event) => {
      if (event.type === 'finished') finishedAt ||= Date.now();
      // A rollback waits at its gate for a second person, as in chat: bob approves at once.
      if (event.type === 'gate-waiting') void f.engine.decide(upgradeId, { ...approver, decision: 'approve', planHash: event.planHash });
    });
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const exitAt = Date.now();
  if (queuedAt === 0 || finishedAt === 0) throw new Error(`say "${text}" exited ${code} before its upgrade was seen to finish`);
  return { code, wallMs: exitAt - started, planningMs: queuedAt - started, jobMs: finishedAt - queuedAt, exitDelayMs: exitAt - finishedAt };
}

async function main(): Promise<void> {
  const f = await startUpgradeFleet({ strategy: 'pm2', hosts, versions: ['1.2.0', '1.3.0'], initialVersion: '1.2.0', worker: false, redisPrefix: 'bench-say' });
  const dir = await mkdtemp(join(tmpdir(), 'clawops-bench-say-'));
  try {
    const configPath = join(dir, 'clawops.yml');
    // JSON is YAML: the fixture's config as written, plus alice allowed to run commands.
    await writeFile(configPath, JSON.stringify({ ...f.configInput, authorization: [{ terminalUsers: ['alice'], commands: ['*'] }] }));
    const results: Array<SayRun & { kind: string }> = [];
    for (let run = 0; run < runs; run++) {
      for (const [kind, text] of [['upgrade', 'upgrade 1.3.0 production'], ['rollback', 'rollback production']] as const) {
        const result = await say(f, configPath, text);
        if (result.code !== 0) throw new Error(`say "${text}" exited ${result.code}`);
        results.push({ kind, ...result });
        console.log(`${kind} ${run + 1}: wall ${seconds(result.wallMs)}, planning ${seconds(result.planningMs)}, job ${seconds(result.jobMs)}, exit delay ${seconds(result.exitDelayMs)}`);
      }
    }
    console.log(`\nclawops say, ${hosts} host(s), medians of ${runs}:`);
    for (const kind of ['upgrade', 'rollback']) {
      const of = results.filter((result) => result.kind === kind);
      const med = (pick: (result: SayRun) => number) => seconds(median(of.map(pick)));
      console.log(`  ${kind}: wall ${med((r) => r.wallMs)}, planning ${med((r) => r.planningMs)}, job ${med((r) => r.jobMs)}, exit delay ${med((r) => r.exitDelayMs)} (goal ≤ 1 s)`);
    }
  } finally {
    await f.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
