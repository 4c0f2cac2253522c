/**
 * Changelog analysis. OpenClaw has no `update changelog --from --to`: each release's tarball holds
 * a CHANGELOG.md with only its own release (`## 2026.9.5`, then `### Highlights` / `### Changes` /
 * `### Fixes` with `- ` bullets), while the repo file holds many releases. Both parse the same way:
 * split on `## <version>` headings, keep the releases in (from, to], read the bullets.
 *
 * Flags: breaking changes (`**Breaking…**` bullets, or any bullet under a heading that says
 * Breaking), data migrations (migration/schema), runtime requirements (Node versions, engines),
 * new config options (an added option/setting/config key).
 */
import semver from 'semver';
import type { ChangelogFindings } from './types.js';

/** One release section of a changelog. */
export interface ChangelogRelease {
  version: string;
  /** Bullets with their section heading (`Highlights`, `Changes`, …; '' before any). */
  bullets: { section: string; text: string }[];
}

const RELEASE_HEADING = /^##\s+\[?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\]?/;
const SECTION_HEADING = /^###+\s+(.+?)\s*$/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;

/** Splits changelog text into releases. Text without a `## <version>` heading is one release named `fallbackVersion`. */
export function parseChangelog(text: string, fallbackVersion?: string): ChangelogRelease[] {
  const releases: ChangelogRelease[] = [];
  let current: ChangelogRelease | undefined = fallbackVersion === undefined ? undefined : { version: fallbackVersion, bullets: [] };
  let section = '';
  let sawHeading = false;
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (const line of lines) {
    const release = RELEASE_HEADING.exec(line);
    if (release?.[1] !== undefined) {
      if (current !== undefined && (sawHeading || current.bullets.length > 0)) releases.push(current);
      current = { version: release[1], bullets: [] };
      section = '';
      sawHeading = true;
      continue;
    }
    if (/^#\s/.test(line) || /^##\s/.test(line)) {
      section = '';
      continue;
    }
    const heading = SECTION_HEADING.exec(line);
    if (heading?.[1] !== undefined) {
      section = heading[1];
      continue;
    }
    if (current === undefined) continue;
    const bullet = BULLET.exec(line);
    if (bullet?.[1] !== undefined) {
      current.bullets.push({ section, text: bullet[1].trim() });
    } else if (/^\s{2,}\S/.test(line) && current.bullets.length > 0) {
      // A wrapped bullet continues on an indented line.
      const last = current.bullets[current.bullets.length - 1] as { section: string; text: string };
      last.text = `${last.text} ${line.trim()}`;
    }
  }
  if (current !== undefined && (sawHeading || current.bullets.length > 0)) releases.push(current);
  return releases;
}

const BREAKING_BULLET = /^\*\*\s*breaking\b/i;
const BREAKING_SECTION = /\bbreaking\b/i;
const MIGRATION = /\bmigrat(?:e|es|ed|ion|ions|ing)\b|\bschema\b/i;
const RUNTIME = /\bnode(?:\.js)?\b[^.]*?(?:\d+(?:\.\d+)*|\bruntime\b)|\bengines?\b|\bruntime\b[^.]*\brequire/i;
const NEW_CONFIG = /\b(?:new|adds?|added|introduces?d?)\b[^.]*\b(?:config(?:uration)?\s+(?:option|key|setting)s?|option|setting|config key)\b|`[a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9_]+)+`[^.]*\b(?:option|setting|config)\b/i;

/**
 * Findings for the releases after `fromVersion` up to and including `toVersion`, from the
 * per-version changelog texts (key = version). Each finding is `<version>: <bullet text>`.
 */
export function analyzeChangelogs(changelogs: Readonly<Record<string, string>>, fromVersion: string | null, toVersion: string): ChangelogFindings {
  const byVersion = new Map<string, ChangelogRelease>();
  for (const [key, text] of Object.entries(changelogs)) {
    for (const release of parseChangelog(text, semver.valid(key) ?? undefined)) {
      if (!byVersion.has(release.version)) byVersion.set(release.version, release);
    }
  }
  const inRange = [...byVersion.values()]
    .filter((release) => semver.valid(release.version) !== null)
    .filter((release) => semver.lte(release.version, toVersion) && (fromVersion === null || semver.gt(release.version, fromVersion)))
    .sort((a, b) => semver.compare(a.version, b.version));
  const findings: ChangelogFindings = { breaking: [], migrations: [], runtime: [], newConfig: [] };
  for (const release of inRange) {
    for (const bullet of release.bullets) {
      const entry = `${release.version}: ${bullet.text}`;
      if (BREAKING_BULLET.test(bullet.text) || BREAKING_SECTION.test(bullet.section)) findings.breaking.push(entry);
      if (MIGRATION.test(bullet.text)) findings.migrations.push(entry);
      if (RUNTIME.test(bullet.text)) findings.runtime.push(entry);
      if (NEW_CONFIG.test(bullet.text)) findings.newConfig.push(entry);
    }
  }
  return findings;
}

export function hasFindings(findings: ChangelogFindings): boolean {
  return findings.breaking.length + findings.migrations.length + findings.runtime.length + findings.newConfig.length > 0;
}
