// Whether dist/ may run: true when there are no sources beside it (the installed package ships
// dist/ alone) or when it was built after the last change to any file under src/. Shared by
// bin/migrate.js and scripts/build.mjs (`--if-stale`); plain JavaScript so it runs before any build.
import { existsSync, readdirSync, statSync } from 'node:fs';

/** Newest modification time under `dir` (a folder URL ending in /), in milliseconds. */
function newest(dir) {
  let max = 0;
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = new URL(d.name + (d.isDirectory() ? '/' : ''), dir);
    max = Math.max(max, d.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return max;
}

/** `root`: the package folder as a URL ending in /. dist/BUILT holds the time its build started. */
export function distIsFresh(root) {
  const sources = new URL('src/', root);
  const stamp = new URL('dist/BUILT', root);
  if (!existsSync(sources)) return true;
  return existsSync(stamp) && newest(sources) <= statSync(stamp).mtimeMs;
}
