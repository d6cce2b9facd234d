/**
 * Transforms load as .ts, .mts, .js or .mjs wherever the plan lives — also in a folder with no
 * `"type": "module"` package.json above it, where Node would read a .ts or .js file as CommonJS.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { loadTransform } from '../../../src/mapping/index.js';

// The OS temp folder has no package.json: its modules are CommonJS by Node's rules.
const dir = mkdtempSync(join(tmpdir(), 'tracer-transform-'));
const plan = join(dir, 'plan.yaml');
writeFileSync(join(dir, 'typed.ts'), 'export default function (item: Record<string, unknown>): Record<string, unknown> {\n  return { ...item, from: "ts" };\n}\n');
writeFileSync(join(dir, 'typed.mts'), 'export default (item: Record<string, unknown>) => ({ ...item, from: "mts" });\n');
writeFileSync(join(dir, 'plain.js'), 'export default function (item) {\n  return { ...item, from: "js" };\n}\n');
writeFileSync(join(dir, 'plain.mjs'), 'export default (item) => ({ ...item, from: "mjs" });\n');
writeFileSync(join(dir, 'data.json'), '{}\n');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadTransform outside an ES-module folder', () => {
  it.each([
    ['typed.ts', 'ts'],
    ['typed.mts', 'mts'],
    ['plain.js', 'js'],
    ['plain.mjs', 'mjs'],
  ])('Given %s next to the plan, When loaded, Then its default export transforms the item', async (file, from) => {
    const transform = await loadTransform(plan, `./${file}`);
    expect(transform({ id: 1 }, { id: 1 })).toEqual({ id: 1, from });
  });

  it('Given a file that is not a module type, When loaded, Then a UserError names the file and the allowed extensions', async () => {
    const err = await loadTransform(plan, './data.json').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain('is not a .ts, .mts, .js or .mjs file');
  });
});
