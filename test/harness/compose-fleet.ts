/**
 * A fleet for the docker-compose strategy against a real engine (test/harness/compose.ts): one
 * sshd host with podman + Compose v1, the double's images per version in the host's registry,
 * the gateway in a container with its state in a named volume, the npm registry for what the
 * planner reads (versions, changelogs), Redis, and the real engine with the real planner.
 */
import { configSchema, type ClawopsConfig } from '../../src/config/schema.js';
import type { Engine } from '../../src/jobs/engine.js';
import { createSshShell } from '../../src/remote/ssh-shell.js';
import type { RemoteShell } from '../../src/remote/types.js';
import { record, type EventLog } from '../jobs/engine-harness.js';
import { buildDoubleImages, COMPOSE_FILE, COMPOSE_PROJECT, COMPOSE_SERVICE, composeDown, composeUp, startComposeEngine, writeComposeProject } from './compose.js';
import { ENVIRONMENT, fixtureEngine, fleetConfigInput } from './fleet-fixture.js';
import { startHosts, type StrategyInput, type TestFleet, type TestHost } from './hosts.js';
import { useRegistry, waitReady } from './openclaw.js';
import { startRedis, type RedisServer } from './redis.js';
import { startRegistry, type DoubleVersion, type TestRegistry } from './registry.js';

export interface ComposeFleetOptions {
  versions: ReadonlyArray<string | DoubleVersion>;
  initialVersion: string;
  redisPrefix: string;
  readySeconds?: number;
  startupMs?: number;
}

export interface ComposeFleet {
  host: TestHost;
  fleet: TestFleet;
  shell: RemoteShell;
  config: ClawopsConfig;
  engine: Engine;
  /** Time spent building and pushing the images (ms). */
  imagesMs: number;
  record(upgradeId: string): EventLog;
  stop(): Promise<void>;
}

export const COMPOSE_STRATEGY: StrategyInput = { kind: 'docker-compose', file: COMPOSE_FILE, projectName: COMPOSE_PROJECT, service: COMPOSE_SERVICE, port: 18789 };

/** Brings a host's compose engine up with the images and the gateway running `initialVersion`. */
export async function prepareComposeHost(host: TestHost, options: Pick<ComposeFleetOptions, 'versions' | 'initialVersion' | 'startupMs'>): Promise<number> {
  await startComposeEngine(host);
  const imagesMs = await buildDoubleImages(host, options.versions);
  await writeComposeProject(host, options.startupMs === undefined ? {} : { startupMs: options.startupMs });
  await composeUp(host, options.initialVersion);
  return imagesMs;
}

export async function startComposeFleet(options: ComposeFleetOptions): Promise<ComposeFleet> {
  const shell = createSshShell();
  let redis: RedisServer | undefined;
  let fleet: TestFleet | undefined;
  let registry: TestRegistry | undefined;
  let engine: Engine | undefined;
  const stop = async () => {
    await engine?.close().catch(() => undefined);
    await Promise.all((fleet?.hosts ?? []).map((host) => composeDown(host)));
    await shell.close();
    await fleet?.stop();
    await registry?.stop();
    await redis?.stop();
  };
  try {
    [redis, fleet] = await Promise.all([startRedis(), startHosts(1)]);
    const host = fleet.hosts[0] as TestHost;
    registry = await startRegistry({ versions: options.versions, listen: ['127.0.0.1', host.gatewayAddress] });
    await useRegistry(host, registry);
    const imagesMs = await prepareComposeHost(host, options);
    await waitReady(shell, host, { port: 18789, intervalMs: 30 });
    // The shared fixture's config (runbook timeouts, approvals, Redis), with compose hosts.
    const configInput = fleetConfigInput(fleet.hosts, { strategy: 'pm2', redisPrefix: options.redisPrefix, ...(options.readySeconds === undefined ? {} : { readySeconds: options.readySeconds }) }, redis.url);
    configInput.environments = { [ENVIRONMENT]: { hosts: [host.hostConfig(COMPOSE_STRATEGY)] } };
    const config = configSchema.parse(configInput);
    engine = await fixtureEngine(config, shell, true);
    const ready: Engine = engine;
    return { host, fleet, shell, config, engine: ready, imagesMs, record: (upgradeId) => record(ready, upgradeId), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Gaps in `/readyz` answering 200, polled from outside the host every `intervalMs`. */
export interface ReadyWatch {
  stop(): Promise<{ polls: number; failed: number; longestGapMs: number }>;
}

export function watchReady(url: string, intervalMs = 20): ReadyWatch {
  let running = true;
  let polls = 0;
  let failed = 0;
  let longestGapMs = 0;
  let lastOk = performance.now();
  let down = false;
  const loop = (async () => {
    while (running) {
      const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then((response) => response.status === 200, () => false);
      polls += 1;
      const now = performance.now();
      if (ok) {
        if (down) longestGapMs = Math.max(longestGapMs, now - lastOk);
        lastOk = now;
        down = false;
      } else {
        failed += 1;
        down = true;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { polls, failed, longestGapMs };
    },
  };
}
