/**
 * Plan validation benchmark: `npm run bench:plan-load [-- --runs 5]`.
 *
 * Validation must take time linear in the plan's size (issue 9: 8,000 entities took 4.3 s and
 * 16,000 took 13.4 s). This loads generated plans of 375, 750, 1,500 and 3,000 entities (the last
 * just under the 1 MiB limit), each valid and each with every entity naming a target that does not
 * exist (one problem per entity, each with a position and a hint), in process, and prints the
 * median CPU milliseconds per size and the ratio to the size before it: linear work doubles (about
 * 2.0), quadratic work quadruples. CPU time (user + system of this process) rather than wall time,
 * so other work on a shared machine does not move the figures much.
 */
import { parseArgs } from 'node:util';
import { parsePlan } from '../src/plan/load.js';
import { MAX_PLAN_BYTES } from '../src/plan/limits.js';
import { describePlan } from '../src/plan/describe.js';
import { log } from './lib/common.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Math.max(1, Number(args.runs));

function plan(entities: number, broken: boolean): string {
  const parts = [
    'version: 1\nname: bench\nstate: { url: "postgres://u@127.0.0.1/s" }\n',
    'sources:\n  legacy: { url: "postgres://u@127.0.0.1/l" }\n',
    'targets:\n  svc: { baseUrl: "http://127.0.0.1:8787" }\nentities:\n',
  ];
  for (let i = 0; i < entities; i++) {
    parts.push(
      `  e${i}:\n    dependsOn: [${i > 0 ? `e${i - 1}` : ''}]\n    source: { db: legacy, table: t${i}, key: [id] }\n` +
        `    target: { service: ${broken ? 'nope' : 'svc'}, write: { path: "/v1/t${i}:w", batch: 500 }, read: { path: "/v1/t${i}:r" } }\n` +
        `    map: { id: id, a: { from: a, as: integer }, b: b }\n    phases:\n      - backfill: { flag: e${i}.backfill }\n      - verify: { ignore: [b] }\n`,
    );
  }
  return parts.join('');
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function measure(text: string): { ms: number; outcome: string } {
  const times: number[] = [];
  let outcome = '';
  for (let r = 0; r < RUNS; r++) {
    const start = cpuMs();
    try {
      describePlan(parsePlan(text, 'bench.yaml', {}));
      outcome = 'valid';
    } catch (e) {
      outcome = `${(e as { problems?: unknown[] }).problems?.length ?? '?'} problems`;
    }
    times.push(cpuMs() - start);
  }
  return { ms: median(times), outcome };
}

// Warm-up: the first parse compiles the loader's code paths.
measure(plan(200, false));
measure(plan(200, true));

for (const broken of [false, true]) {
  log(broken ? 'plans with one problem per entity' : 'valid plans');
  let previous: number | undefined;
  for (const n of [375, 750, 1500, 3000]) {
    const text = plan(n, broken);
    if (Buffer.byteLength(text) > MAX_PLAN_BYTES) throw new Error(`the ${n}-entity plan is over the size limit; lower the sizes`);
    const { ms, outcome } = measure(text);
    const ratio = previous === undefined ? '' : `  ×${(ms / previous).toFixed(2)} for twice the entities`;
    log(`  ${String(n).padStart(5)} entities  ${(Buffer.byteLength(text) / 1024).toFixed(0).padStart(5)} KiB  ${ms.toFixed(0).padStart(6)} ms CPU  (${outcome})${ratio}`);
    previous = ms;
  }
}
log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
