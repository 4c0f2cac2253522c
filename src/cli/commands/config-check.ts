/**
 * `clawops config check [FILE] [--strict]`: validate and summarize; problems surface as CONFIG_INVALID,
 * warnings are printed and exit 0. An unset `${VAR}` is a warning, because the machine checking
 * the file is often not the one holding the tokens; `--strict` checks that this environment has them all.
 */
import { formatPath, formatProblem } from '../../config/format-issues.js';
import { configWarnings } from '../../config/schema-checks.js';
import { ALL_SECRET_SECTIONS, deferredSecrets, sectionOf, type SecretSection } from '../../config/secret-sections.js';
import { summarizeConfig } from '../../config/summary.js';
import { parseCliArgs } from '../args.js';
import { COMMANDS } from '../command-list.js';
import type { CliRun } from '../types.js';

export const run: CliRun = async (args, context) => {
  const { positionals, values } = parseCliArgs(args, { strict: { type: 'boolean' } }, 1);
  const config = await context.loadConfig({ file: positionals[0], needs: values.strict === true ? ALL_SECRET_SECTIONS : [] });
  context.stdout.write(`OK: ${summarizeConfig(config)}\n`);
  for (const warning of configWarnings(config)) context.stdout.write(`warning: ${formatPath(warning.path)}: ${warning.message}\n`);
  for (const secret of deferredSecrets(config)) {
    const section = sectionOf(secret.path);
    context.stdout.write(`warning: ${formatProblem({ ...secret, message: `${secret.message}; ${usedBy(section)} refuse to run without it` })}\n`);
  }
  return 0;
};

/** e.g. `clawops start, gateway and discord register`, from the sections each command declares. */
function usedBy(section: SecretSection): string {
  const names = COMMANDS.filter((spec) => (spec.secrets ?? ALL_SECRET_SECTIONS).includes(section)).map((spec) => spec.path.join(' '));
  const last = names.pop();
  return `clawops ${names.length === 0 ? last : `${names.join(', ')} and ${last}`}`;
}
