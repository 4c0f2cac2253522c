/** Timings the real suite prints (docs/real-openclaw.md quotes them). */
export function report(suite: string, timings: Record<string, number>, notes: readonly string[] = []): void {
  const lines = [...Object.entries(timings).map(([what, ms]) => `  ${what}: ${(ms / 1000).toFixed(1)} s`), ...notes.map((note) => `  ${note}`)];
  console.info(`[real:${suite}]\n${lines.join('\n')}`);
}
