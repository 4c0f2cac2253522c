/** Resolves host names in a plan to the config entries and SSH targets the executor needs. */
import { ClawopsError } from '../errors.js';
import type { ClawopsConfig, HostConfig } from '../config/schema.js';
import type { RemoteShell, RemoteTarget } from '../remote/types.js';
import type { ProbeTarget } from '../health/probes.js';

export function findHost(config: ClawopsConfig, environment: string, name: string): HostConfig {
  const env = config.environments[environment];
  if (!env) throw new ClawopsError('UNKNOWN_ENVIRONMENT', `no environment "${environment}" in the config`, { environment });
  const host = env.hosts.find((candidate) => candidate.name === name);
  if (!host) throw new ClawopsError('UNKNOWN_HOST', `no host "${name}" in environment "${environment}"`, { environment, host: name });
  return host;
}

export function toRemoteTarget(host: HostConfig): RemoteTarget {
  return {
    name: host.name,
    address: host.address,
    port: host.port,
    user: host.user,
    privateKeyPath: host.privateKeyPath,
    hostKey: host.hostKey,
    ...(Object.keys(host.env).length > 0 ? { env: host.env } : {}),
  };
}

/**
 * The gateway's base URL as seen from the host: `healthUrl`, or loopback on the strategy's port;
 * blue-green: always `publicUrl` (a `healthUrl` reaches one color, the stopped one after a switch).
 */
export function healthBaseUrl(host: HostConfig): string {
  const strategy = host.strategy;
  if (host.healthUrl && strategy.kind !== 'blue-green') return host.healthUrl;
  if (strategy.kind === 'blue-green') return strategy.publicUrl;
  return `http://127.0.0.1:${strategy.port}`;
}

/** The host's gateway probed from inside the host (curl over SSH): what watch, check and status ask. */
export function hostHealthProbe(host: HostConfig, shell: RemoteShell): ProbeTarget {
  return { host: host.name, baseUrl: healthBaseUrl(host), viaHost: true, shell, target: toRemoteTarget(host) };
}
