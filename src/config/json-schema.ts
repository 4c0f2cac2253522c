/**
 * The JSON Schema of `clawops.yml`, derived from the zod schema so editors can complete and
 * check the file (`# yaml-language-server: $schema=schema/clawops.schema.json`). Pure: no I/O.
 */
import { z } from 'zod';
import { configSchema } from './schema.js';

/** Where the committed copy lives, relative to the repository root (`npm run schema` rewrites it). */
export const JSON_SCHEMA_FILE = 'schema/clawops.schema.json';

/** The schema of what a person writes (`io: 'input'`): defaults are shown, fields with one are optional. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' });
  // The loader ignores top-level `x-…` keys (YAML anchors); editors should accept them too.
  return { ...schema, title: 'clawops fleet config (clawops.yml)', patternProperties: { '^x-': {} } };
}

/** The file's exact text: two-space JSON and a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
