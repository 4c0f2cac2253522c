/**
 * Not-ready time of a gateway, measured the way a user sees it: `/readyz` asked every 100 ms on
 * a new connection, from inside the host's network namespace (`ip netns exec`, so loopback-bound
 * gateways are reachable) by a separate process, for as long as the probe runs.
 */
import { spawn } from 'node:child_process';

const PROBE = `
const url = process.argv[1];
const samples = [];
let stopping = false;
async function once() {
  const at = Date.now();
  let ready = false;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000), headers: { connection: 'close' } });
    ready = res.status === 200 && (await res.json()).ready === true;
  } catch {}
  samples.push([at, ready]);
}
(async () => {
  while (!stopping) {
    const next = Date.now() + 100;
    await once();
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  process.stdout.write(JSON.stringify(samples));
})();
process.on('SIGTERM', () => { stopping = true; });
`;

/** What the probe saw. */
export interface ReadySummary {
  samples: number;
  /** Sum of the gaps between a not-ready sample and the next ready one. */
  notReadyMs: number;
  /** The longest single stretch of not-ready samples. */
  longestOutageMs: number;
}

/** Summarises `[timestampMs, ready]` samples. */
export function summarize(samples: ReadonlyArray<readonly [number, boolean]>): ReadySummary {
  let notReadyMs = 0;
  let longest = 0;
  let outageStart: number | null = null;
  for (const [at, ready] of samples) {
    if (!ready && outageStart === null) outageStart = at;
    if (ready && outageStart !== null) {
      notReadyMs += at - outageStart;
      longest = Math.max(longest, at - outageStart);
      outageStart = null;
    }
  }
  const last = samples.at(-1);
  if (outageStart !== null && last !== undefined) {
    notReadyMs += last[0] - outageStart;
    longest = Math.max(longest, last[0] - outageStart);
  }
  return { samples: samples.length, notReadyMs, longestOutageMs: longest };
}

/** Starts probing `http://127.0.0.1:<port>/readyz` inside `netns`; `stop()` ends it and sums up. */
export function startReadyProbe(netns: string, port: number): { stop(): Promise<ReadySummary> } {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', PROBE, `http://127.0.0.1:${port}/readyz`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return summarize(JSON.parse(out || '[]') as [number, boolean][]);
    },
  };
}
