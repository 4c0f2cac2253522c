/**
 * Rate-limits edits of the same chat message: at most one send per key per interval, the last
 * value always wins, and `flush()` delivers whatever is still pending (nothing is lost at the end).
 * Slack allows roughly one chat.update per second per message; a busy checklist would exceed it.
 */

/** Options of createCoalescer. */
export interface CoalescerOptions<T> {
  /** Minimum time between two sends for the same key. Default 1000 ms. */
  intervalMs?: number;
  /** Delivers one value; sends for one key never overlap and arrive in order. */
  send: (key: string, value: T) => Promise<void>;
  /** A failed send is reported here and not retried (the next push sends the newest state anyway). */
  onError?: (error: unknown, key: string) => void;
  now?: () => number;
}

/** A per-key latest-value-wins rate limiter. */
export interface Coalescer<T> {
  /** Queues value as the newest state for key; sends now if the key is idle, else after the interval. */
  push(key: string, value: T): void;
  /** Sends every pending value at once (ignoring the interval) and waits for all sends in flight. */
  flush(): Promise<void>;
  /** Keys with a value not yet sent. */
  pendingKeys(): string[];
}

interface Slot<T> {
  pending?: { value: T };
  lastSentAt?: number;
  timer?: ReturnType<typeof setTimeout>;
  inFlight?: Promise<void>;
}

export function createCoalescer<T>(options: CoalescerOptions<T>): Coalescer<T> {
  const intervalMs = options.intervalMs ?? 1000;
  const now = options.now ?? Date.now;
  const slots = new Map<string, Slot<T>>();

  function slotFor(key: string): Slot<T> {
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = {};
      slots.set(key, slot);
    }
    return slot;
  }

  function sendNow(key: string, slot: Slot<T>): Promise<void> {
    if (slot.timer !== undefined) {
      clearTimeout(slot.timer);
      delete slot.timer;
    }
    const pending = slot.pending;
    if (pending === undefined) return slot.inFlight ?? Promise.resolve();
    delete slot.pending;
    slot.lastSentAt = now();
    const delivery = (async () => {
      try {
        await options.send(key, pending.value);
      } catch (error) {
        options.onError?.(error, key);
      }
    })();
    slot.inFlight = delivery;
    void delivery.then(() => {
      if (slot.inFlight === delivery) delete slot.inFlight;
      schedule(key, slot);
    });
    return delivery;
  }

  function schedule(key: string, slot: Slot<T>): void {
    if (slot.pending === undefined || slot.inFlight !== undefined || slot.timer !== undefined) return;
    const wait = slot.lastSentAt === undefined ? 0 : slot.lastSentAt + intervalMs - now();
    if (wait <= 0) {
      void sendNow(key, slot);
      return;
    }
    slot.timer = setTimeout(() => {
      delete slot.timer;
      schedule(key, slot);
    }, wait);
  }

  return {
    push(key, value) {
      const slot = slotFor(key);
      slot.pending = { value };
      schedule(key, slot);
    },
    async flush() {
      // Loop: a value pushed while we wait must also go out before flush resolves.
      for (;;) {
        const busy = [...slots.entries()].filter(([, slot]) => slot.pending !== undefined || slot.inFlight !== undefined);
        if (busy.length === 0) return;
        await Promise.all(busy.map(async ([key, slot]) => {
          if (slot.inFlight !== undefined) await slot.inFlight;
          if (slot.pending !== undefined) await sendNow(key, slot);
        }));
      }
    },
    pendingKeys() {
      return [...slots.entries()].filter(([, slot]) => slot.pending !== undefined).map(([key]) => key);
    },
  };
}
