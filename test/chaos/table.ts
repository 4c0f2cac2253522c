/** The matrix as a Markdown table, one row a cell, printed after a run and kept in docs/benchmarks.md. */
import { knownFailure } from './matrix.js';
import type { CellResult } from './runner.js';

const HEADER = ['cell', 'verdict', 'outcome', 're-runs', 'skipped as done', 'attempts', 'unsafe repeats', 'orphan actions', 'audit ok', 'time (s)', 'notes'];

const cellText = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function formatMatrix(results: readonly CellResult[]): string {
  const rows = results.map((result) => {
    const known = knownFailure(result.id);
    const notes = [...(known && !result.ok ? [`known failure: ${known}`] : []), ...result.notes];
    return [result.id, result.ok ? '✅' : '❌', result.outcome, String(result.reruns), String(result.skippedAsDone), String(result.attempts),
      String(result.unsafeRepeats), String(result.orphanActions), result.auditOk ? 'yes' : 'NO', result.seconds.toFixed(1), notes.join('; ')];
  });
  const failed = results.filter((result) => !result.ok).length;
  const total = results.reduce((sum, result) => sum + result.seconds, 0);
  return [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cellText).join(' | ')} |`),
    '',
    `${results.length} cells, ${results.length - failed} correct, ${failed} failed; `
      + `${results.reduce((sum, result) => sum + result.unsafeRepeats, 0)} unsafe repeats, ${results.reduce((sum, result) => sum + result.orphanActions, 0)} orphan actions, `
      + `${results.filter((result) => !result.auditOk).length} cells with audit records lost; upgrades ran ${(total / 60).toFixed(1)} min in all`,
  ].join('\n');
}
