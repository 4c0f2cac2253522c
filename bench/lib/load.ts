/**
 * A bounded open-loop HTTP load generator for the benchmarks: each stream sends at a fixed rate
 * (new connection per request, or a keep-alive pool), counts every non-2xx and error as failed,
 * and stops at a request cap and a time cap whatever happens. The keep-alive "retry" stream
 * resends a request once when a *reused* socket was reset (Node's documented pattern for the
 * race between a server closing an idle connection and the client reusing it).
 */
import { Agent, request } from 'node:http';

export type StreamMode = 'new-connection' | 'keep-alive' | 'keep-alive+retry';

export interface StreamSpec {
  mode: StreamMode;
  /** Requests per second. */
  rate: number;
}

export interface StreamResult {
  mode: StreamMode;
  requests: number;
  ok: number;
  /** Non-2xx answers by status, and errors by code. */
  failures: Record<string, number>;
  failed: number;
  /** Requests that succeeded only after the one retry on a reused socket. */
  retried: number;
  latenciesMs: number[];
  /** Milliseconds since the load started at which requests failed. */
  failedAtMs: number[];
  /** 2xx answers by the `"version"` their JSON body names (which release served them). */
  versions: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  streams: readonly StreamSpec[];
  /** Each stream sends at least this many requests (unless maxMs cuts it). */
  minRequestsPerStream: number;
  /** Hard cap on the whole run. */
  maxMs: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Cap on requests in flight per stream; the schedule waits beyond it. */
  maxInFlight?: number;
}

export interface LoadRun {
  /** Milliseconds since the load started. */
  elapsed(): number;
  /** Lets the streams end once each reached its minimum; resolves with the results. */
  finish(): Promise<StreamResult[]>;
}

interface Attempt { status: number; error?: string; reused: boolean; version?: string }

function once(url: string, agent: Agent, timeoutMs: number): Promise<Attempt> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (attempt: Attempt) => { if (!settled) { settled = true; resolve(attempt); } };
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      let head = '';
      res.on('data', (chunk: Buffer) => { if (head.length < 512) head += chunk.toString(); });
      res.on('end', () => {
        const version = /"version":"([^"]*)"/.exec(head)?.[1];
        done({ status: res.statusCode ?? 0, reused: req.reusedSocket, ...(version === undefined ? {} : { version }) });
      });
      res.on('error', (error: NodeJS.ErrnoException) => done({ status: 0, error: error.code ?? error.message, reused: req.reusedSocket }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => done({ status: 0, error: error.code ?? error.message, reused: req.reusedSocket }));
    req.end();
  });
}

/** Starts every stream now; call `finish()` once the measured action is over. */
export function startLoad(options: LoadOptions): LoadRun {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  let finishing = false;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxInFlight = options.maxInFlight ?? 64;
  const runs = options.streams.map((spec) => {
    const agent = new Agent(spec.mode === 'new-connection' ? { keepAlive: false } : { keepAlive: true, maxSockets: 16 });
    const result: StreamResult = { mode: spec.mode, requests: 0, ok: 0, failures: {}, failed: 0, retried: 0, latenciesMs: [], failedAtMs: [], versions: {} };
    const cap = Math.ceil((spec.rate * options.maxMs) / 1000);
    let inFlight = 0;
    const pending = new Set<Promise<void>>();
    const fire = () => {
      result.requests += 1;
      inFlight += 1;
      const t0 = performance.now();
      const work = (async () => {
        let attempt = await once(options.url, agent, timeoutMs);
        let retriedOnce = false;
        if (spec.mode === 'keep-alive+retry' && attempt.error === 'ECONNRESET' && attempt.reused) {
          retriedOnce = true;
          attempt = await once(options.url, agent, timeoutMs);
          if (attempt.status >= 200 && attempt.status < 300) result.retried += 1;
        }
        result.latenciesMs.push(performance.now() - t0);
        if (attempt.status >= 200 && attempt.status < 300) {
          result.ok += 1;
          const version = attempt.version ?? '?';
          result.versions[version] = (result.versions[version] ?? 0) + 1;
        } else {
          // Whether a reset hit a reused keep-alive socket (the retryable race) or a fresh one.
          const socket = attempt.error === undefined || spec.mode === 'new-connection' ? '' : attempt.reused ? ' (reused socket)' : ' (fresh socket)';
          const key = `${attempt.error ?? `HTTP ${attempt.status}`}${socket}${retriedOnce ? ' after 1 retry' : ''}`;
          result.failures[key] = (result.failures[key] ?? 0) + 1;
          result.failed += 1;
          result.failedAtMs.push(t0 - started);
        }
      })().finally(() => { inFlight -= 1; pending.delete(work); });
      pending.add(work);
    };
    const done = new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.min(cap, Math.floor((spec.rate * elapsed()) / 1000));
        while (result.requests < due && inFlight < maxInFlight) fire();
        const enough = finishing && result.requests >= options.minRequestsPerStream;
        if (enough || result.requests >= cap || elapsed() >= options.maxMs) {
          clearInterval(tick);
          void Promise.all(pending).then(() => { agent.destroy(); resolve(); });
        }
      }, 5);
    });
    return { result, done };
  });
  return {
    elapsed,
    async finish() {
      finishing = true;
      await Promise.all(runs.map((run) => run.done));
      return runs.map((run) => run.result);
    },
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** requests, failed, p99, max of one stream as table cells. */
export function describeStream(result: StreamResult): { requests: number; failed: number; retried: number; p99: string; max: string; why: string } {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const why = Object.entries(result.failures).map(([key, count]) => `${key}×${count}`).join(', ');
  return { requests: result.requests, failed: result.failed, retried: result.retried, p99: `${percentile(sorted, 99).toFixed(1)} ms`, max: `${(sorted.at(-1) ?? Number.NaN).toFixed(1)} ms`, why };
}
