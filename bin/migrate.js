#!/usr/bin/env node
// Entry point: runs the compiled JavaScript in dist/ and maps errors to exit codes. The only place in
// Tracer that exits the process.
//
// In a checkout (src/ lies beside dist/), dist/ runs only while it is newer than every file under
// src/: after an edit, a pull or a rebase the sources run through tsx instead (slower to start, never
// stale). `npm run build` brings the fast start back. The package ships dist/ without src/, so an
// installed `migrate` always runs dist/ and never needs tsx.
import { distIsFresh } from './dist-fresh.js';
import './broken-pipe.js';

const root = new URL('../', import.meta.url);
let entry = new URL('dist/cli/main.js', root);
if (!distIsFresh(root)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('src/cli/main.ts', root);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
