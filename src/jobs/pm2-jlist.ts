/** Reading `pm2 jlist`: shared by fact collection (planning) and the supervisor watch (running steps). */

type JlistEntry = { name?: unknown; pid?: unknown; pm2_env?: Record<string, unknown> } | null;

/** `pm2 jlist` JSON as a list; null when it prints none. PM2 may print `[PM2] …` notices before the array. */
export function parseJlist(json: string): JlistEntry[] | null {
  for (let at = json.indexOf('['); at >= 0; at = json.indexOf('[', at + 1)) {
    try {
      const list: unknown = JSON.parse(json.slice(at));
      if (Array.isArray(list)) return list as JlistEntry[];
    } catch {
      // not the array yet
    }
  }
  return null;
}
