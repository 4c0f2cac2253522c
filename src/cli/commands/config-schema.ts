/** `clawops config schema`: the JSON Schema, generated from the zod schema. */
import { configJsonSchemaText } from '../../config/json-schema.js';
import { parseCliArgs } from '../args.js';
import type { CliRun } from '../types.js';

export const run: CliRun = async (args, context) => {
  parseCliArgs(args, {});
  context.stdout.write(configJsonSchemaText());
  return 0;
};
