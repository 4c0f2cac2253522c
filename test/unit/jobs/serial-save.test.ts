import { describe, expect, it } from 'vitest';
import { serializeSaves } from '../../../src/jobs/serial-save.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('serializeSaves', () => {
  it('never runs two writes at once, and every caller\'s marks are in the write it awaits', async () => {
    const marks: string[] = [];
    const stored: string[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const save = serializeSaves(async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const snapshot = [...marks];
      await tick(5);
      stored.push(snapshot);
      inFlight -= 1;
    });
    const chain = async (host: string) => {
      for (let index = 0; index < 5; index += 1) {
        marks.push(`${host}:${index}`);
        await save();
        // What this chain marked is stored by the time its save resolves.
        expect(stored.at(-1)).toContain(`${host}:${index}`);
        await tick(Math.random() * 4);
      }
    };
    await Promise.all(['a', 'b', 'c', 'd'].map(chain));
    expect(maxInFlight).toBe(1);
    expect([...(stored.at(-1) ?? [])].sort()).toEqual([...marks].sort());
    // Callers that arrived during a write shared the next one.
    expect(stored.length).toBeLessThan(marks.length);
  });

  it('a failed write rejects its callers and does not block the next one', async () => {
    let calls = 0;
    const save = serializeSaves(async () => {
      calls += 1;
      await tick(2);
      if (calls === 1) throw new Error('redis down');
    });
    const first = save();
    const second = save();
    await expect(first).rejects.toThrow('redis down');
    await expect(second).resolves.toBeUndefined();
    await expect(save()).resolves.toBeUndefined();
    expect(calls).toBe(3);
  });
});
