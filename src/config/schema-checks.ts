/**
 * Cross-field checks of the fleet config: the rules no single field can express. Pure: no I/O.
 * The fleet-wide check runs even when other parts of the config are invalid (so that every
 * problem is reported in one run), which is why it reads its input defensively.
 */

/** OpenClaw derives browser ports from a gateway's base port: base + 2 and base + 11 … base + 110 (DESIGN.md §2). */
export const OPENCLAW_PORT_SPAN = 110;

/** One problem found by a cross-field check; `path` is relative to the object checked. */
export interface CrossFieldProblem {
  path: (string | number)[];
  message: string;
}

interface ColorLike {
  port: number;
  stateDir: string;
  app: string;
}

/** Blue and green run side by side on one host: their port ranges, state dirs and PM2 apps must not collide. */
export function checkBlueGreen(strategy: { blue: ColorLike; green: ColorLike }): CrossFieldProblem[] {
  const { blue, green } = strategy;
  const problems: CrossFieldProblem[] = [];
  if (Math.abs(green.port - blue.port) <= OPENCLAW_PORT_SPAN) {
    const suggestion = blue.port + 1000 <= 65535 ? blue.port + 1000 : blue.port - 1000;
    problems.push({
      path: ['green', 'port'],
      message: `green's ports ${green.port}..${green.port + OPENCLAW_PORT_SPAN} overlap blue's ${blue.port}..${blue.port + OPENCLAW_PORT_SPAN} `
        + `(OpenClaw uses base+2 and base+11..base+110); keep them at least ${OPENCLAW_PORT_SPAN + 1} apart, e.g. ${suggestion}`,
    });
  }
  if (normalizeDir(green.stateDir) === normalizeDir(blue.stateDir)) {
    problems.push({ path: ['green', 'stateDir'], message: `must differ from blue's state dir ${JSON.stringify(blue.stateDir)}: two gateways cannot share one state directory` });
  }
  if (green.app === blue.app) {
    problems.push({ path: ['green', 'app'], message: `must differ from blue's PM2 app ${JSON.stringify(blue.app)}` });
  }
  return problems;
}

function normalizeDir(dir: string): string {
  return dir.replace(/\/+$/, '');
}

/**
 * Fleet-wide rules: host names unique across all environments (commands name hosts without
 * their environment), and every environment named in authorization rules and windows exists.
 */
export function checkFleet(config: unknown): CrossFieldProblem[] {
  const root = asRecord(config);
  if (root === undefined) return [];
  const environments = asRecord(root['environments']) ?? {};
  const envNames = new Set(Object.keys(environments));
  const problems: CrossFieldProblem[] = [];

  const seen = new Map<string, string>();
  for (const [envName, env] of Object.entries(environments)) {
    const hosts = asRecord(env)?.['hosts'];
    if (!Array.isArray(hosts)) continue;
    hosts.forEach((host: unknown, index) => {
      const hostName = asRecord(host)?.['name'];
      if (typeof hostName !== 'string') return;
      const where = `environments.${envName}.hosts[${index}]`;
      const first = seen.get(hostName);
      if (first === undefined) {
        seen.set(hostName, where);
      } else {
        problems.push({ path: ['environments', envName, 'hosts', index, 'name'], message: `host name "${hostName}" is already used by ${first}; host names must be unique in the whole fleet` });
      }
    });
  }

  const known = [...envNames].join(', ') || '(none)';
  const checkRefs = (list: unknown, path: (string | number)[], allowStar: boolean): void => {
    if (!Array.isArray(list)) return;
    list.forEach((ref: unknown, index) => {
      if (typeof ref !== 'string' || (allowStar && ref === '*') || envNames.has(ref)) return;
      problems.push({ path: [...path, index], message: `unknown environment "${ref}"; defined: ${known}` });
    });
  };
  asArray(root['authorization']).forEach((rule, index) => {
    checkRefs(asRecord(rule)?.['environments'], ['authorization', index, 'environments'], true);
  });
  asArray(root['windows']).forEach((window, index) => {
    checkRefs(asRecord(window)?.['environments'], ['windows', index, 'environments'], false);
  });
  return problems;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A setting that is valid but cannot do what it says; `clawops config check` prints it and still exits 0. */
export interface ConfigWarning {
  path: (string | number)[];
  message: string;
}

interface HostLike {
  name?: unknown;
  healthUrl?: unknown;
  strategy?: { kind?: unknown };
}

/**
 * Settings that cannot work as written. `healthUrl` on a blue-green host points at one color:
 * after a switch the health checks would probe the stopped color and report a good upgrade as
 * failed, so clawops ignores it there (it probes the live color's port and `publicUrl`).
 */
export function configWarnings(config: { environments: Record<string, { hosts: readonly HostLike[] }> }): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  for (const [envName, env] of Object.entries(config.environments)) {
    env.hosts.forEach((host, index) => {
      if (host.strategy?.kind === 'blue-green' && typeof host.healthUrl === 'string') {
        warnings.push({
          path: ['environments', envName, 'hosts', index, 'healthUrl'],
          message: `ignored on a blue-green host (${String(host.name)}): ${host.healthUrl} reaches one color, so after a switch it would probe the stopped one; `
            + 'clawops checks the live color\'s port and strategy.publicUrl instead. Remove healthUrl (set publicUrl to the address clients use)',
        });
      }
    });
  }
  return warnings;
}
