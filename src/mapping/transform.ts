/**
 * Loading the optional transform module named by an entity's `transform:` — the only I/O of the
 * mapping code.
 */
import { access } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.js';
import type { Transform } from './compile.js';

/**
 * Imports `modulePath` (relative to the plan file's directory, or absolute) and returns its default
 * export, which must be a function. Throws UserError naming the file when it is missing, fails to
 * load or exports no function.
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

let tsxRegistered = false;

/**
 * Imports a transform module. Node runs .js/.mjs itself; a TypeScript module (.ts/.mts/.cts) needs
 * tsx, registered here (once) only when such a module is met, since the CLI ships compiled JavaScript.
 */
async function importModule(file: string): Promise<{ default?: unknown }> {
  if (/\.[cm]?tsx?$/i.test(file) && !tsxRegistered) {
    let tsx: { register: () => unknown };
    try {
      tsx = (await import('tsx/esm/api')) as { register: () => unknown };
    } catch {
      throw new UserError(`transform module ${file} is TypeScript, and loading TypeScript needs the tsx package, which is not installed`, {
        hint: 'Install it beside tracer-migrate (`npm install tsx`), or compile the transform to JavaScript and name the .js file in the plan.',
      });
    }
    tsx.register();
    tsxRegistered = true;
  }
  return (await import(pathToFileURL(file).href)) as { default?: unknown };
}
