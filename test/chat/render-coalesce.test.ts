import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCoalescer } from '../../src/chat/coalesce.js';

describe('coalescer', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  function recorder() {
    const sent: Array<{ key: string; value: number; at: number }> = [];
    const coalescer = createCoalescer<number>({
      intervalMs: 1000,
      send: async (key, value) => { sent.push({ key, value, at: Date.now() }); },
    });
    return { sent, coalescer };
  }

  it('sends the first update at once and merges a burst into one update per second, last value winning', async () => {
    const { sent, coalescer } = recorder();
    const start = Date.now();
    for (let i = 1; i <= 50; i += 1) {
      coalescer.push('checklist', i);
      await vi.advanceTimersByTimeAsync(40); // 50 updates over 2 s
    }
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent[0]).toEqual({ key: 'checklist', value: 1, at: start });
    expect(sent[sent.length - 1]?.value).toBe(50);
    expect(sent.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < sent.length; i += 1) {
      expect((sent[i]?.at ?? 0) - (sent[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    }
  });

  it('limits per message, not globally', async () => {
    const { sent, coalescer } = recorder();
    coalescer.push('a', 1);
    coalescer.push('b', 1);
    coalescer.push('a', 2);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((s) => `${s.key}=${s.value}`)).toEqual(['a=1', 'b=1']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent.map((s) => `${s.key}=${s.value}`)).toEqual(['a=1', 'b=1', 'a=2']);
  });

  it('flush delivers the last state immediately, nothing lost', async () => {
    const { sent, coalescer } = recorder();
    coalescer.push('a', 1);
    coalescer.push('a', 2);
    coalescer.push('a', 3);
    coalescer.push('b', 7);
    await coalescer.flush();
    expect(sent.map((s) => `${s.key}=${s.value}`)).toEqual(['a=1', 'b=7', 'a=3']);
    expect(coalescer.pendingKeys()).toEqual([]);
  });

  it('never overlaps sends for one key and keeps order when a send is slow', async () => {
    const log: string[] = [];
    let active = 0;
    const coalescer = createCoalescer<number>({
      intervalMs: 100,
      send: async (key, value) => {
        active += 1;
        expect(active).toBe(1);
        log.push(`${key}=${value}`);
        await new Promise((r) => setTimeout(r, 500));
        active -= 1;
      },
    });
    coalescer.push('a', 1);
    await vi.advanceTimersByTimeAsync(50);
    coalescer.push('a', 2);
    coalescer.push('a', 3);
    const flushed = coalescer.flush();
    await vi.advanceTimersByTimeAsync(2000);
    await flushed;
    expect(log).toEqual(['a=1', 'a=3']);
  });

  it('reports a failed send and still sends the next state', async () => {
    const errors: unknown[] = [];
    const sent: number[] = [];
    const coalescer = createCoalescer<number>({
      send: async (_key, value) => { if (value === 1) throw new Error('ratelimited'); sent.push(value); },
      onError: (error) => errors.push(error),
    });
    coalescer.push('a', 1);
    coalescer.push('a', 2);
    await coalescer.flush();
    expect(errors).toHaveLength(1);
    expect(sent).toEqual([2]);
  });
});
