/**
 * One cursor write at a time. Steps of several hosts mark "started" and "done" on one shared
 * in-memory cursor; `job.updateData` replaces the whole job data, so two writes racing could
 * land out of order and an older snapshot would erase a newer mark. Here a write starts only
 * after the previous one ended, and callers that arrive while one is in flight share the single
 * next write, which serializes the cursor as it is when it starts: every mark made before a
 * caller's `save()` is in the write that caller awaits.
 */
export function serializeSaves(write: () => Promise<void>): () => Promise<void> {
  let inFlight: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const start = (): Promise<void> => {
    const current = write().finally(() => { if (inFlight === current) inFlight = null; });
    inFlight = current;
    return current;
  };
  return () => {
    if (queued) return queued;
    if (!inFlight) return start();
    const next = inFlight.catch(() => undefined).then(() => {
      queued = null;
      return start();
    });
    queued = next;
    return next;
  };
}
