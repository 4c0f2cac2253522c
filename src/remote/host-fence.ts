/**
 * The attempt's fencing token, carried to the host. Redis decides which attempt may record a
 * step (src/jobs/fence.ts), but a command already running on a host does not ask Redis: a worker
 * that lost its lock while its `npm install` ran, or an orphan whose connection dropped, could
 * still act after a newer attempt took over. So every command of an upgrade attempt first takes a
 * per-upgrade `flock` on the host and compares tokens there:
 * - an older token than the newest the host has seen: the command is refused before it runs;
 * - a newer one: every command still running under an older token is killed (its whole process
 *   group) before this one starts, so a resumed step never verifies beside the command it resumes.
 * Each command also appends to a journal on the host (`~/.clawops/attempts/<upgrade>.journal`):
 * what each attempt ran there, and when, without arguments (they may hold secrets).
 */
import { quoteWord } from './quote.js';
import type { RemoteShell, RunOptions } from './types.js';

/** Which attempt of which upgrade runs a command, and under what name the journal records it. */
export interface HostFence {
  upgradeId: string;
  token: number;
  /** The plan step id (`host-a:install`), `verify:<id>` or `undo:<id>`. */
  label: string;
}

/** Exit status of a command the host refused because a newer attempt ran there. */
export const SUPERSEDED_EXIT = 75;
export const SUPERSEDED_MARKER = 'clawops-superseded:';
export const ATTEMPTS_DIR = '.clawops/attempts';

/** `<key>.journal` in `~/.clawops/attempts/`: the key is the upgrade id with anything unusual replaced by `_`. */
export function journalName(upgradeId: string): string {
  return `${upgradeId.replace(/[^A-Za-z0-9._-]/g, '_')}.journal`;
}

/**
 * Shell text run by the command wrapper before the command (`$$` is the wrapper, leader of the
 * command's process group). Without `flock` the token check still runs, unlocked.
 */
export function fencePrelude(fence: HostFence): string {
  const base = `"$HOME"/${quoteWord(`${ATTEMPTS_DIR}/${journalName(fence.upgradeId).replace(/\.journal$/, '')}`)}`;
  const token = String(Math.trunc(fence.token));
  const label = quoteWord(fence.label.replace(/[^A-Za-z0-9._:-]/g, '_'));
  return [
    `F=${base}; T=${token}; L=${label}`,
    'mkdir -p "${F%/*}" || exit 1',
    'if command -v flock >/dev/null 2>&1; then exec 9>>"$F.lock" && flock -w 60 9 || { echo "clawops: could not lock $F.lock" >&2; exit 1; }; fi',
    'n=$(cat "$F.token" 2>/dev/null); case "$n" in ""|*[!0-9]*) n=0;; esac',
    `if [ "$n" -gt "$T" ]; then echo "$(date +%s%3N) $T refused $L" >>"$F.journal"; printf '${SUPERSEDED_MARKER}%s\\n' "$n" >&2; exit ${SUPERSEDED_EXIT}; fi`,
    // A pid is killed only while its start time is the one recorded: a pid reused since is left alone.
    // (`2>/dev/null` before `<`: the first command on a host has no pids file yet.)
    'if [ "$n" -lt "$T" ]; then while read -r p st; do [ -n "$p" ] && [ "$(cut -d" " -f22 /proc/$p/stat 2>/dev/null)" = "$st" ] && kill -KILL -- "-$p" 2>/dev/null; done 2>/dev/null <"$F.pids"; : >"$F.pids"; echo "$T" >"$F.token"; fi',
    'echo "$$ $(cut -d" " -f22 /proc/$$/stat 2>/dev/null)" >>"$F.pids"',
    'echo "$(date +%s%3N) $T start $L" >>"$F.journal"',
    'exec 9>&-',
  ].join('\n');
}

/** Shell text run after the command, with its exit status in `$s`. */
export const FENCE_EPILOGUE = 'echo "$(date +%s%3N) $T end $L $s" >>"$F.journal"';

/** A shell whose every command carries the attempt's token (see the module comment). */
export function fencedShell(shell: RemoteShell, fence: Omit<HostFence, 'label'>, label: string): RemoteShell {
  const withFence = (options: RunOptions = {}): RunOptions => ({ ...options, fence: { ...fence, label } });
  return {
    run: (target, argv, options) => shell.run(target, argv, withFence(options)),
    writeFile: (target, path, content, options) => shell.writeFile(target, path, content, withFence(options)),
    close: () => shell.close(),
  };
}

/** One journal line: `<epoch-ms> <token> start|end|refused <label> [exit]`. */
export interface JournalEntry {
  at: number;
  token: number;
  event: 'start' | 'end' | 'refused';
  label: string;
  exitCode?: number;
}

export function parseJournal(text: string): JournalEntry[] {
  return text.split('\n').flatMap((line) => {
    const [at, token, event, label, exit] = line.trim().split(' ');
    if (label === undefined || (event !== 'start' && event !== 'end' && event !== 'refused')) return [];
    const entry: JournalEntry = { at: Number(at), token: Number(token), event, label };
    if (exit !== undefined) entry.exitCode = Number(exit);
    return [entry];
  });
}

/**
 * What an attempt did on the host after a newer attempt's first command there: starts and ends
 * of older tokens later than that moment (refusals are the fence working, not actions; a line in
 * the same millisecond cannot be ordered, and the newer command kills older ones before its start).
 */
export function actionsAfterTakeover(entries: readonly JournalEntry[]): JournalEntry[] {
  const firstStart = new Map<number, number>();
  for (const entry of entries) if (entry.event === 'start' && !firstStart.has(entry.token)) firstStart.set(entry.token, entry.at);
  return entries.filter((entry) => entry.event !== 'refused'
    && [...firstStart].some(([token, at]) => token > entry.token && at < entry.at));
}
