/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per package or
 * project folder, largest first, as percentages of the sampled time (idle excluded).
 *   npx tsx bench/profile-top.ts <file.cpuprofile> [--top 25] [--from runChunk]
 * `--from <function>` drops the samples before the first one with that function on its stack, so a
 * worker's start-up (module loading, protobuf setup, the workflow bundle) does not dilute the shares of
 * the copy itself; the bench's CPU seconds are taken after start-up too.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, from: { type: 'string' } } });
if (positionals.length !== 1) throw new Error('usage: profile-top.ts <file.cpuprofile> [--top N]');
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

/** A package name (node_modules/<pkg>), a project folder (src/sweep), or `node:` internals. */
function area(url: string): string {
  if (url === '') return '(native / V8)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const proj = /\/(src|bench|examples)\/([^/]+)\//.exec(url);
  return proj ? `${proj[1]}/${proj[2]}` : url.replace(/^.*\//, '');
}

const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const onStack = (id: number, fn: string): boolean => {
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) if (byId.get(cur)!.callFrame.functionName === fn) return true;
  return false;
};
const from = values.from === undefined ? 0 : profile.samples.findIndex((id) => onStack(id, values.from!));
if (from < 0) throw new Error(`no sample has ${values.from} on its stack`);

const selfFn = new Map<string, number>();
const selfArea = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  if (i < from) return;
  const node = byId.get(id)!;
  const dt = profile.timeDeltas[i] ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === '(idle)' || functionName === '(program)') return;
  total += dt;
  const fn = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${lineNumber + 1}` : ''}`;
  selfFn.set(fn, (selfFn.get(fn) ?? 0) + dt);
  const a = functionName === '(garbage collector)' ? '(garbage collector)' : area(url);
  selfArea.set(a, (selfArea.get(a) ?? 0) + dt);
});

const top = Number(values.top);
const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)}%`;
console.log(`busy CPU sampled: ${(total / 1e6).toFixed(1)} s`);
console.log('\nself time by area:');
for (const [k, v] of [...selfArea].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
console.log('\nself time by function:');
for (const [k, v] of [...selfFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
