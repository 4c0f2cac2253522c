/**
 * Registers one vitest test per cell and prints the matrix once they ran (also written to
 * $CLAWOPS_CHAOS_REPORT when set). A cell fails its test unless it is correct or listed in
 * KNOWN_FAILURES, which the table still shows as ❌ with the cause.
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, expect, test } from 'vitest';
import { knownFailure, type Cell, type Strategy } from './matrix.js';
import { runCell, type CellResult } from './runner.js';
import { formatMatrix } from './table.js';

export function matrixSuite(cells: readonly Cell[], hosts: Readonly<Record<Strategy, number>>, cellTimeoutMs = 420_000): void {
  const results: CellResult[] = [];
  const began = Date.now();
  for (const cell of cells) {
    test(cell.id, async () => {
      const result = await runCell(cell, hosts[cell.strategy]);
      results.push(result);
      expect(result.ok || knownFailure(cell.id) !== undefined, result.notes.join('; ')).toBe(true);
    }, cellTimeoutMs);
  }
  afterAll(async () => {
    const table = `${formatMatrix(results)}; the matrix took ${((Date.now() - began) / 60_000).toFixed(1)} min (fleets included)`;
    console.log(`\n${table}\n`);
    if (process.env.CLAWOPS_CHAOS_REPORT) await writeFile(process.env.CLAWOPS_CHAOS_REPORT, `${table}\n`);
  });
}
