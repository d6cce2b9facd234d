/** Writes schema/plan.schema.json from the zod plan schema (`npm run schema`); a unit test fails when they drift. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { planJsonSchemaText } from '../src/plan/jsonSchema.js';

const target = fileURLToPath(new URL('../schema/plan.schema.json', import.meta.url));
writeFileSync(target, planJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
