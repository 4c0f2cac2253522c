/**
 * Writes schema/clawops.schema.json from the zod schema (`npm run schema`).
 * `--check` only compares and exits 1 when the committed file is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchemaText, JSON_SCHEMA_FILE } from '../src/config/json-schema.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const target = join(root, JSON_SCHEMA_FILE);
const fresh = configJsonSchemaText();

if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== fresh) {
    process.stderr.write(`${JSON_SCHEMA_FILE} is out of date; run: npm run schema\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON_SCHEMA_FILE} is up to date\n`);
} else {
  await writeFile(target, fresh);
  process.stdout.write(`wrote ${JSON_SCHEMA_FILE}\n`);
}
