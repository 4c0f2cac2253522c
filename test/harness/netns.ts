import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Runs `ip` (as root); throws with its stderr on failure. */
export async function ip(args: readonly string[], input?: string): Promise<string> {
  if (input === undefined) return (await execFileAsync('ip', [...args])).stdout;
  return new Promise((resolve, reject) => {
    const child = execFile('ip', [...args], (error, stdout, stderr) => {
      if (error) reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });
}

/**
 * Slots 0..511 map onto the /24s of 198.18.0.0/15 (RFC 2544's benchmark range, never routed):
 * slot s = 198.(18 + s/256).(s%256).0/24, `.1` on the root side, `.2` inside the host.
 */
export const SLOT_COUNT = 512;

export function slotSubnet(slot: number): { gateway: string; address: string } {
  const prefix = `198.${18 + Math.floor(slot / 256)}.${slot % 256}`;
  return { gateway: `${prefix}.1`, address: `${prefix}.2` };
}

/** Root-side veth name of a slot (<= 15 chars, as Linux requires). */
export function vethName(slot: number): string {
  return `cwo${slot}`;
}

/**
 * Gives the namespace a veth pair on a free slot. The kernel refuses a duplicate interface
 * name atomically, so creating the root-side veth *is* the slot lock: concurrent test workers
 * (and other fleets in the same worker) never get the same subnet.
 */
export async function attachVeth(netns: string, firstTry: number): Promise<number> {
  for (let i = 0; i < SLOT_COUNT; i++) {
    const slot = (firstTry + i) % SLOT_COUNT;
    const outer = vethName(slot);
    try {
      await ip(['link', 'add', outer, 'type', 'veth', 'peer', 'name', `${outer}h`, 'netns', netns]);
    } catch {
      continue;
    }
    const { gateway, address } = slotSubnet(slot);
    await ip(['-batch', '-'], `addr add ${gateway}/24 dev ${outer}\nlink set ${outer} up\n`);
    await ip(['-n', netns, '-batch', '-'], `link set lo up\naddr add ${address}/24 dev ${outer}h\nlink set ${outer}h up\n`);
    return slot;
  }
  throw new Error('no free 198.18.0.0/15 slot for a test host');
}

/** Deletes the namespace and the veth pair; both are gone afterwards even if one step fails. */
export async function removeNetns(netns: string, slot: number | undefined): Promise<void> {
  if (slot !== undefined) await ip(['link', 'del', vethName(slot)]).catch(() => undefined);
  await ip(['netns', 'del', netns]).catch(() => undefined);
}
