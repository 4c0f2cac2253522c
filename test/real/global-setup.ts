/**
 * Warms the real-suite npm cache once, before any test file starts (cold: real downloads from
 * the npm registry in the root namespace; warm: a few file checks). Test files call
 * ensureRealCache() again and find it warm.
 */
import { diskUsage, ensureRealCache } from '../harness/real-openclaw.js';

export default async function setup(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the real OpenClaw suite needs root (network namespaces, bind mounts, sshd)');
  const cache = await ensureRealCache({ log: (line) => console.info(`[real] ${line}`) });
  const bytes = await diskUsage(cache.root);
  console.info(`[real] cache ${cache.root}: ${(bytes / 1e6).toFixed(0)} MB, ${cache.warmMs === 0 ? 'warm' : `warmed in ${(cache.warmMs / 1000).toFixed(1)} s`}`);
}
