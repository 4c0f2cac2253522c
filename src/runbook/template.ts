/**
 * Runbook command templates (`config.runbook.commands.<name>`): argv arrays whose elements may
 * hold `{name}` placeholders. Each element is filled on its own — a value with spaces stays one
 * argument, nothing is ever split or joined.
 *
 * Which `openclaw`: templates say `openclaw` as argv[0]; the plan replaces exactly that element
 * with the binary the step must use (see {@link resolveOpenclaw}): the live release
 * `<releasesDir>/current/bin/openclaw`, a specific release `<releasesDir>/<version>/bin/openclaw`,
 * or for docker-compose `docker compose … exec -T <service> openclaw`. A template whose argv[0] is
 * anything else (an override such as `node /opt/oc/entry.js …`) is used as written.
 */
import { ClawopsError } from '../errors.js';
import type { ClawopsConfig, RunbookCommandName } from '../config/schema.js';

/** Values for placeholders; only these names may appear in templates. */
export type TemplateValues = Readonly<Record<string, string>>;

// `{{.ID}}` (Go templates, e.g. docker --format) is not a placeholder: the name must be an identifier.
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9]*)\}/g;
const OPEN_WITHOUT_CLOSE = /\{[A-Za-z][A-Za-z0-9]*(?![A-Za-z0-9}])/;

/**
 * Fills `{name}` placeholders element by element. Throws PLAN_INVALID for a placeholder with no
 * value (unknown name) and for an unclosed `{name`.
 */
export function fillTemplate(argv: readonly string[], values: TemplateValues, templateName = 'command'): string[] {
  if (argv.length === 0) throw new ClawopsError('PLAN_INVALID', `runbook command "${templateName}" is empty`, { template: templateName });
  return argv.map((element) => {
    if (OPEN_WITHOUT_CLOSE.test(element.replace(PLACEHOLDER, ''))) {
      throw new ClawopsError('PLAN_INVALID', `runbook command "${templateName}" has an unclosed placeholder in ${JSON.stringify(element)}`, { template: templateName, element });
    }
    return element.replace(PLACEHOLDER, (_match, name: string) => {
      const value = Object.hasOwn(values, name) ? values[name] : undefined;
      if (value === undefined) {
        const known = Object.keys(values).map((key) => `{${key}}`).join(', ') || 'none';
        throw new ClawopsError('PLAN_INVALID', `runbook command "${templateName}" uses {${name}}, which has no value here (known: ${known})`, { template: templateName, placeholder: name });
      }
      return value;
    });
  });
}

/** Replaces argv[0] when it is exactly `openclaw` with `binary` (one or more elements). */
export function resolveOpenclaw(argv: readonly string[], binary: readonly string[]): string[] {
  if (argv[0] !== 'openclaw') return [...argv];
  return [...binary, ...argv.slice(1)];
}

/** A configured runbook command, filled and with its `openclaw` resolved to `binary`. */
export function runbookCommand(config: ClawopsConfig, name: RunbookCommandName, values: TemplateValues, binary: readonly string[]): string[] {
  const template = config.runbook.commands[name];
  return resolveOpenclaw(fillTemplate(template, values, name), binary);
}

/** The placeholders each runbook command may use. */
export const TEMPLATE_PLACEHOLDERS: Readonly<Record<RunbookCommandName, readonly string[]>> = {
  version: [],
  updateStatus: [],
  registryVersion: ['version'],
  install: ['prefix', 'version'],
  backupCreate: ['backupFile'],
  backupVerify: ['backupFile'],
  backupRestore: ['backupFile', 'targetDir'],
  doctor: [],
  gatewayStatus: ['port'],
  gatewayRun: ['port'],
  databaseSnapshot: ['repository'],
  databasePreflight: ['database'],
  changelog: ['version'],
  gatewayCall: ['method', 'params'],
  channelsStatus: [],
};

/**
 * Checks every configured command against the placeholders it may use, so a bad override fails
 * the first plan (or `clawops config check`), not a rollback that needs it later.
 */
export function validateRunbookCommands(config: ClawopsConfig): void {
  for (const [name, allowed] of Object.entries(TEMPLATE_PLACEHOLDERS) as [RunbookCommandName, readonly string[]][]) {
    fillTemplate(config.runbook.commands[name], Object.fromEntries(allowed.map((key) => [key, `<${key}>`])), name);
  }
}
