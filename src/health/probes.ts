/**
 * Health probes for OpenClaw gateways: `/healthz` (`{"ok":true}`) and `/readyz` (`{"ready":true}`),
 * polled either from inside the host (curl over the RemoteShell, so loopback-only gateways are
 * reachable) or from the bot (fetch). Version comes from `openclaw --version`, not from HTTP.
 */
import type { HealthResult } from '../jobs/events.js';
import type { RemoteShell, RemoteTarget } from '../remote/types.js';

export type Endpoint = 'live' | 'ready';

/** Where and how to probe one gateway. */
export interface ProbeTarget {
  host: string;
  /** Base URL, e.g. `http://127.0.0.1:18789`; `/healthz` or `/readyz` is appended. */
  baseUrl: string;
  /** Probe from inside the host with curl over SSH (true) or from the bot with fetch (false). */
  viaHost: boolean;
  shell?: RemoteShell;
  target?: RemoteTarget;
}

export interface EndpointResult {
  ok: boolean;
  latencyMs: number;
  /** The gateway answered over HTTP (even with 503): it is live, whatever `ok` says of readiness. */
  answered?: boolean;
  error?: string;
}

const PATHS: Record<Endpoint, string> = { live: '/healthz', ready: '/readyz' };

/** The URL for an endpoint: a base URL gets `/healthz`/`/readyz`; a URL that already names one is kept. */
export function endpointUrl(url: string, endpoint: Endpoint): string {
  const trimmed = url.replace(/\/+$/, '');
  if (/\/(healthz|readyz)$/.test(trimmed)) return trimmed;
  return `${trimmed}${PATHS[endpoint]}`;
}

/** Whether a body says live/ready: `/healthz` must be `{"ok":true}`, `/readyz` `{"ready":true}`. */
export function bodySaysOk(body: string, endpoint: Endpoint): boolean {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return false;
    const record = parsed as Record<string, unknown>;
    return endpoint === 'live' ? record.ok === true : record.ready === true;
  } catch {
    return false;
  }
}

/** One request to one endpoint. Never throws; a failure is `{ok: false, error}`. */
export async function probeEndpoint(probe: ProbeTarget, endpoint: Endpoint, options: { timeoutMs: number; signal?: AbortSignal }): Promise<EndpointResult> {
  const url = endpointUrl(probe.baseUrl, endpoint);
  const started = Date.now();
  const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
  try {
    let body: string;
    if (probe.viaHost) {
      if (!probe.shell || !probe.target) return { ok: false, latencyMs: 0, error: 'no shell to probe from the host' };
      const result = await probe.shell.run(probe.target, ['curl', '-fsS', '--max-time', String(seconds), url], {
        timeoutMs: options.timeoutMs + 2000,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (result.exitCode !== 0) {
        // curl -f exits 22 when the server answered with an HTTP error status.
        return { ok: false, latencyMs: Date.now() - started, answered: result.exitCode === 22, error: lastLine(result.stderr) || `curl exited ${result.exitCode}` };
      }
      body = result.stdout;
    } else {
      const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
      const response = await fetch(url, { signal: AbortSignal.any(signals) });
      body = await response.text();
      if (!response.ok) return { ok: false, latencyMs: Date.now() - started, answered: true, error: `HTTP ${response.status}` };
    }
    const ok = bodySaysOk(body, endpoint);
    return ok ? { ok, latencyMs: Date.now() - started, answered: true } : { ok, latencyMs: Date.now() - started, answered: true, error: `unexpected body: ${body.slice(0, 120)}` };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return { ok: false, latencyMs: Date.now() - started, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Polls an endpoint until it answers ok or `timeoutMs` passes: every `intervalMs` for the first
 * second (a gateway that is ready quickly is not kept waiting half a second), then backing off to
 * `maxIntervalMs`, since each poll is a process on the host and a gateway that takes seconds to
 * start (real OpenClaw: 4–12 s) gains nothing from being asked ten times a second.
 */
export async function waitForEndpoint(probe: ProbeTarget, endpoint: Endpoint, options: { timeoutMs: number; intervalMs?: number; maxIntervalMs?: number; signal?: AbortSignal; now?: () => number }): Promise<EndpointResult & { attempts: number }> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  const started = now();
  let interval = options.intervalMs ?? 100;
  const maxInterval = Math.max(interval, options.maxIntervalMs ?? 500);
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const left = Math.max(250, Math.min(5000, deadline - now()));
    const result = await probeEndpoint(probe, endpoint, { timeoutMs: left, ...(options.signal ? { signal: options.signal } : {}) });
    if (result.ok || now() + interval > deadline) return { ...result, attempts };
    await sleep(interval, options.signal);
    if (now() - started >= 1000) interval = Math.min(maxInterval, Math.round(interval * 1.5));
  }
}

/** Live + ready (+ version when a reader is given) of one gateway. */
export async function checkHealth(probe: ProbeTarget, options: { timeoutMs: number; signal?: AbortSignal; readVersion?: () => Promise<string | null> }): Promise<HealthResult> {
  const opts = { timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) };
  const live = await probeEndpoint(probe, 'live', opts);
  const ready = await probeEndpoint(probe, 'ready', opts);
  const version = options.readVersion ? await options.readVersion().catch(() => null) : null;
  const error = live.error ?? ready.error;
  return {
    host: probe.host,
    live: live.ok,
    ready: ready.ok,
    latencyMs: Math.max(live.latencyMs, ready.latencyMs),
    ...(version ? { version } : {}),
    ...(error ? { error } : {}),
  };
}

/** Parses `openclaw --version` output: `OpenClaw 2026.9.5 (ec9c1a1)` -> `2026.9.5`; a bare version is accepted too. */
export function parseOpenClawVersion(output: string): { version: string; commit?: string } | null {
  // `gateway status --json`: the running process's own answer; null while it runs replaced files.
  const brace = output.indexOf('{');
  if (brace >= 0) {
    try {
      const status = JSON.parse(output.slice(brace)) as { rpc?: { server?: { version?: unknown } } };
      if (status.rpc !== undefined) {
        const running = status.rpc.server?.version;
        return typeof running === 'string' ? parseOpenClawVersion(running) : null;
      }
    } catch {
      // Not JSON: fall through to the `--version` format.
    }
  }
  const match = /(?:OpenClaw\s+)?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)(?:\s+\(([0-9a-f]+)\))?/.exec(output.trim());
  if (!match?.[1]) return null;
  return match[2] ? { version: match[1], commit: match[2] } : { version: match[1] };
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason as Error); return; }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(signal?.reason as Error); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export { sleep as abortableSleep };
