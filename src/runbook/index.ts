/** The runbook: pure plan building for upgrades and rollbacks. */
export { buildPlan } from './plan.js';
export { buildRollbackPlan } from './rollback.js';
export { renderPlanText, displayCommand, displayWord } from './render.js';
export { fillTemplate, resolveOpenclaw, runbookCommand, validateRunbookCommands, TEMPLATE_PLACEHOLDERS, type TemplateValues } from './template.js';
export { analyzeChangelogs, parseChangelog, type ChangelogRelease } from './changelog.js';
export { parseVersion, updateType, fleetUpdateType } from './version.js';
export { planHash, canonicalJson } from './hash.js';
export { backupFileFor, currentLink, releasePrefix, releaseBinary, stateEnv, trimSlash } from './context.js';
export { selectEnvironment, selectHosts } from './select.js';
export type * from './types.js';
