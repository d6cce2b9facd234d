#!/usr/bin/env node
// Entry point: runs the TypeScript sources through tsx (no build step to forget), maps errors to
// exit codes. The only place in Tracer that exits the process.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
