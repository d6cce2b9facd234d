// `npm run build` (also run on prepack, and by setup.sh with --if-stale, which builds only when a
// source changed since the last build): compiles src/ to dist/ with tsc, then
// writes dist/BUILT with the time the build *started*, so bin/migrate.js can tell whether any source
// changed since (a file saved during the build counts as newer). dist/ is emptied first, so a
// deleted source file leaves no compiled ghost behind; a type error leaves no dist/ at all, and
// bin/migrate.js then runs the sources through tsx.
import { spawnSync } from 'node:child_process';
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { distIsFresh } from '../bin/dist-fresh.js';

const ROOT = new URL('../', import.meta.url);
if (process.argv.includes('--if-stale') && distIsFresh(ROOT)) process.exit(0);

const DIST = new URL('dist/', ROOT);
const STAMP = new URL('dist/BUILT', ROOT);
const started = new Date();
rmSync(DIST, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit', cwd: ROOT });
if (r.status !== 0) {
  rmSync(DIST, { recursive: true, force: true });
  process.stderr.write('build failed: dist/ removed; bin/migrate.js runs the sources through tsx until a build succeeds\n');
  process.exit(r.status ?? 1);
}
writeFileSync(STAMP, `${started.toISOString()}\n`);
utimesSync(STAMP, started, started);
