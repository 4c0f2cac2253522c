/** The only read of `process.env` in clawops: a snapshot the composition root hands to everything else. */
import type { Env } from './interpolate.js';

export function readProcessEnv(): Env {
  return Object.freeze({ ...process.env });
}
