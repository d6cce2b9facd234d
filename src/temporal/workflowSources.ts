/**
 * The source files the workflow bundle is built from: the workflows' entry and every file it
 * imports, transitively, through relative imports that survive compilation. Type-only imports
 * (`import type`, `export type`) are erased before bundling, so they are not followed — which keeps
 * activity code out of the set, as it is out of the bundle.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

// `import … from './x.js'`, `export … from './x.js'` and `import './x.js'`, but not `import type` / `export type`.
const RELATIVE_IMPORT = /(?:^|[;\n])\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/g;

function resolveSource(fromFile: string, specifier: string): string {
  const target = resolve(dirname(fromFile), specifier);
  // Sources import their siblings as `./x.js` (ESM); the file on disk is `x.ts`.
  for (const candidate of [target.replace(/\.js$/, '.ts'), target.replace(/\.js$/, '.tsx'), target, `${target}.ts`, `${target}/index.ts`]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${fromFile} imports ${specifier}, which does not exist`);
}

/** Absolute paths of `entry` and everything it imports at run time, sorted. */
export function workflowSourceFiles(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)) visit(resolveSource(file, m[1]!));
  };
  visit(resolve(entry));
  return [...seen].sort();
}
