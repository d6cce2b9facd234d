/**
 * Loading the optional transform module named by an entity's `transform:` — the only I/O of the
 * mapping code.
 */
import { access } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.js';
import type { Transform } from './compile.js';

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/**
 * Imports `modulePath` (relative to the plan file's directory, or absolute) and returns its default
 * export, which must be a function. `.ts`, `.mts`, `.js` and `.mjs` load wherever the plan lives:
 * through tsx's own loader, so a `.ts` or `.js` file outside an ES-module folder (no
 * `"type": "module"` above it) loads too — Node would treat it as CommonJS and refuse its `export`.
 * Throws UserError naming the file when it is missing, fails to load or exports no function.
 */
export async function loadTransform(planFile: string, modulePath: string): Promise<Transform> {
  const file = resolve(dirname(resolve(planFile)), modulePath);
  try {
    await access(file);
  } catch {
    throw new UserError(`transform module ${file} (named in ${planFile}) does not exist`, {
      hint: 'The transform path is relative to the plan file; fix it or create the module.',
    });
  }
  if (!EXTENSIONS.some((x) => file.endsWith(x))) {
    throw new UserError(`transform module ${file} (named in ${planFile}) is not a .ts, .mts, .js or .mjs file`, {
      hint: 'Write the transform as a TypeScript or JavaScript module with `export default function (item, row) { …; return item; }`.',
    });
  }
  let mod: { default?: unknown };
  try {
    mod = await importModule(file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`transform module ${file} failed to load: ${(e as Error)?.message ?? String(e)}`, {
      hint: 'Fix the error in the module; `node --check` or `npx tsc --noEmit` shows where it is.',
      cause: e,
    });
  }
  if (typeof mod.default !== 'function') {
    throw new UserError(`transform module ${file} has no default export function`, {
      hint: 'Export the transform as `export default function (item, row) { …; return item; }`.',
    });
  }
  return mod.default as Transform;
}

/**
 * Imports a transform module. Node runs .js/.mjs itself (a .js outside an ES-module folder is
 * detected as a module by its syntax); a TypeScript module (.ts/.mts) needs tsx, loaded here only
 * when such a module is met, since the CLI ships compiled JavaScript. tsx's `tsImport` loads the
 * file through a loader of its own, so a .ts file outside an ES-module folder loads too.
 */
async function importModule(file: string): Promise<{ default?: unknown }> {
  if (!/\.[cm]?tsx?$/i.test(file)) return (await import(pathToFileURL(file).href)) as { default?: unknown };
  let tsx: { tsImport: (specifier: string, parent: string) => Promise<unknown> };
  try {
    tsx = (await import('tsx/esm/api')) as typeof tsx;
  } catch {
    throw new UserError(`transform module ${file} is TypeScript, and loading TypeScript needs the tsx package, which is not installed`, {
      hint: 'Install it beside tracer-migrate (`npm install tsx`), or compile the transform to JavaScript and name the .js file in the plan.',
    });
  }
  const mod = (await tsx.tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown };
  // A file tsx read as CommonJS (outside an ES-module folder) has its exports object as the default.
  const inner = mod.default as { default?: unknown } | undefined;
  if (typeof mod.default !== 'function' && inner !== null && typeof inner === 'object' && typeof inner.default === 'function') return inner;
  return mod;
}
