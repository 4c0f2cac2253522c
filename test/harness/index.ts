/** Reusable fixtures over the real services the harness starts. */
import { afterAll, beforeAll } from 'vitest';
import { createSshShell, type SshShellOptions } from '../../src/remote/ssh-shell.js';
import type { RemoteShell } from '../../src/remote/types.js';
import { startHosts, type StartHostsOptions, type TestFleet, type TestHost } from './hosts.js';

export { startHosts, processesInPidNamespace, netnsOfRun } from './hosts.js';
export type { TestFleet, TestHost, StartHostsOptions, HostConfigInput, StrategyInput } from './hosts.js';
export { generateKeyPair, sshKeygenFingerprint, type TestKeyPair } from './keys.js';
export { startRedis, type RedisServer } from './redis.js';
export { freePort, waitForPort } from './ports.js';

/** What {@link withFleet} gives a suite (valid inside tests, after beforeAll ran). */
export interface FleetFixture {
  readonly fleet: TestFleet;
  readonly hosts: TestHost[];
  /** A real SSH RemoteShell, closed after the suite. */
  readonly shell: RemoteShell;
}

/**
 * Starts `n` hosts before the suite's tests and an SSH shell to reach them; stops both after.
 * Call at the top level of a test file (or a describe block).
 */
export function withFleet(n: number, options: StartHostsOptions & { shell?: SshShellOptions } = {}): FleetFixture {
  let fleet: TestFleet | undefined;
  let shell: RemoteShell | undefined;
  beforeAll(async () => {
    fleet = await startHosts(n, options);
    shell = createSshShell(options.shell);
  });
  afterAll(async () => {
    await shell?.close();
    await fleet?.stop();
  });
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`withFleet: ${what} is only available inside tests`);
    return value;
  };
  return {
    get fleet() { return need(fleet, 'fleet'); },
    get hosts() { return need(fleet, 'fleet').hosts; },
    get shell() { return need(shell, 'shell'); },
  };
}
