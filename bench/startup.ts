/**
 * Start-up benchmark: `npm run bench:startup [-- --runs 7]`.
 *
 * Times whole processes, as a user meets them, after one warm-up run each:
 *   - `migrate --help` (target under 0.3 s) and `migrate status` without --watch (target under 0.8 s),
 *     both as shipped: bin/migrate.js running the compiled dist/ (built first when stale);
 *   - the same two commands from the TypeScript sources through tsx (how every command ran before
 *     dist/ shipped), run in turn with them, A B A B, so the ratio holds when the machine's speed drifts;
 *   - `node -e 0`, the floor no command can go below.
 * `status` runs against a headless Temporal dev server this script starts on a free port and a fresh
 * state-store database; the plan is plans/orders-postgres.yaml with no workflow started, so the
 * figure is start-up, plan loading, one connection to Temporal and the state store, and the queries
 * that find nothing running. Then the same status once every entity's backfill is open and no
 * worker polls (the state right after a worker crash: answered from Temporal's record, saying no
 * worker polls). Prints min / median / max wall seconds, and with /usr/bin/time the median CPU
 * seconds and peak RSS, the median ratio source/dist per command, and ratios between the commands
 * (status/help, no worker/status, each over the `node -e 0` floor), which hold on a loaded machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { findTemporalCli, freePort, startDevServer } from '../src/temporal/devServer.js';
import { PG_ADMIN, ROOT, log, withDatabase } from './lib/common.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const RUNS = Math.max(1, Number(args.runs));
const STATE_DB = 'tracer_bench_startup';
const PLAN = join(ROOT, 'plans/orders-postgres.yaml');

interface Run {
  wall: number;
  /** user + sys CPU seconds: steadier than wall time on a shared machine. */
  cpu: number;
  rssKb: number;
  code: number | null;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** One whole process: wall time measured here, peak RSS from /usr/bin/time's report in a file. */
async function once(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run> {
  const report = join(home, 'time.txt');
  const cmd = TIME ? TIME : argv[0]!;
  const cmdArgs = TIME ? ['-f', '%M %U %S', '-o', report, ...argv] : argv.slice(1);
  const started = performance.now();
  const child = spawn(cmd, cmdArgs, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', r));
  const wall = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}:\n${err}`);
  const m = TIME ? /(\d+) ([\d.]+) ([\d.]+)\s*$/.exec(readFileSync(report, 'utf8')) : null;
  return { wall, cpu: m ? Number(m[2]) + Number(m[3]) : NaN, rssKb: m ? Number(m[1]) : NaN, code };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const row = (label: string, runs: Run[]) => {
  const w = runs.map((r) => r.wall);
  const rss = runs.map((r) => r.rssKb).filter(Number.isFinite);
  const cpu = runs.map((r) => r.cpu).filter(Number.isFinite);
  return `${label.padEnd(42)} wall s min ${Math.min(...w).toFixed(3)} median ${median(w).toFixed(3)} max ${Math.max(...w).toFixed(3)}${cpu.length ? ` | cpu s median ${median(cpu).toFixed(2)}` : ''}${rss.length ? ` | peak RSS median ${(median(rss) / 1024).toFixed(0)} MB` : ''}`;
};

log('building dist/ when a source changed since the last build');
const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
if (built.status !== 0) throw new Error('the build failed; nothing to measure');

const admin = new pg.Client({ connectionString: PG_ADMIN });
await admin.connect();
await admin.query(`drop database if exists ${STATE_DB}`);
await admin.query(`create database ${STATE_DB}`);
await admin.end();

const home = mkdtempSync(join(tmpdir(), 'tracer-bench-startup-'));
const server = await startDevServer({ cliPath: findTemporalCli(process.env, ROOT), port: await freePort() });
log(`Temporal dev server at ${server.address}`);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  TEMPORAL_ADDRESS: server.address,
  MIGRATE_STATE_URL: withDatabase(PG_ADMIN, STATE_DB),
  MIGRATE_HOME: home,
  MIGRATE_PLAN: PLAN,
  NO_COLOR: '1',
};
// The sources through tsx, as bin/migrate.js ran every command before dist/ shipped.
const fromSource = ['--import', 'tsx', '--input-type=module', '-e', "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(['node', 'migrate', ...process.argv.slice(1)]);", '--'];
const commands = {
  help: { dist: [process.execPath, join(ROOT, 'bin/migrate.js'), '--help'], source: [process.execPath, ...fromSource, '--help'] },
  status: { dist: [process.execPath, join(ROOT, 'bin/migrate.js'), 'status'], source: [process.execPath, ...fromSource, 'status'] },
};

/** Starts every entity's backfill straight through Temporal: no worker polls this server, as right after a worker crash. */
async function openBackfillsWithoutWorker(): Promise<void> {
  const { loadPlanFile } = await import('../src/plan/load.js');
  const { backfillWorkflowId } = await import('../src/workflows/definitions.js');
  const { Client, Connection } = await import('@temporalio/client');
  const loaded = await loadPlanFile(PLAN, env);
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    for (const entity of Object.keys(loaded.plan.entities)) {
      await client.workflow.start('sweepWorkflow', {
        workflowId: backfillWorkflowId(loaded.plan.name, entity),
        taskQueue: loaded.plan.temporal?.taskQueue ?? 'migrate',
        args: [{ plan: loaded.plan.name, entity, kind: 'backfill', runKey: 'backfill' }],
      });
    }
  } finally {
    await connection.close();
  }
}

try {
  const results: Record<string, { dist: Run[]; source: Run[] }> = {};
  const measure = async (name: keyof typeof commands | 'statusNoWorker', c: { dist: string[]; source: string[] }) => {
    await once(c.dist, env, ROOT);
    await once(c.source, env, ROOT);
    const r = { dist: [] as Run[], source: [] as Run[] };
    for (let i = 0; i < RUNS; i++) {
      r.dist.push(await once(c.dist, env, ROOT));
      r.source.push(await once(c.source, env, ROOT));
    }
    results[name] = r;
  };
  for (const [name, c] of Object.entries(commands)) await measure(name as keyof typeof commands, c);
  // The same status once a backfill is open and no worker polls: answered from Temporal's record.
  await openBackfillsWithoutWorker();
  await measure('statusNoWorker', commands.status);
  await once([process.execPath, '-e', '0'], env, ROOT);
  const floor: Run[] = [];
  for (let i = 0; i < RUNS; i++) floor.push(await once([process.execPath, '-e', '0'], env, ROOT));

  const cores = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? '?';
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  console.log(`start-up, ${RUNS} runs each after one warm-up, ${cores} cores (load average ${load}: wall times grow with it, cpu seconds much less), node ${process.version}`);
  console.log(row('node -e 0 (floor)', floor));
  const labels = { help: 'migrate --help', status: 'migrate status', statusNoWorker: 'migrate status, no worker' } as const;
  for (const [name, target] of [['help', 0.3], ['status', 0.8], ['statusNoWorker', 0.8]] as const) {
    const r = results[name]!;
    const ratios = r.dist.map((d, i) => r.source[i]!.wall / d.wall);
    console.log(row(`${labels[name]} (dist)`, r.dist) + `   target < ${target} s: ${median(r.dist.map((x) => x.wall)) < target ? 'met' : 'NOT met'}`);
    console.log(row(`${labels[name]} (src via tsx)`, r.source));
    console.log(`${''.padEnd(42)} source/dist ratio median ${median(ratios).toFixed(2)} (min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)})`);
  }
  // Ratios within this run hold when the machine's load changes between runs; absolute times do not.
  const wallOf = (runs: Run[]) => median(runs.map((x) => x.wall));
  const cpuOf = (runs: Run[]) => median(runs.map((x) => x.cpu));
  const help = results.help!.dist;
  const status = results.status!.dist;
  const noWorker = results.statusNoWorker!.dist;
  console.log(`ratios (dist, medians): status/help wall ${(wallOf(status) / wallOf(help)).toFixed(2)} cpu ${(cpuOf(status) / cpuOf(help)).toFixed(2)}; status no worker/status wall ${(wallOf(noWorker) / wallOf(status)).toFixed(2)} cpu ${(cpuOf(noWorker) / cpuOf(status)).toFixed(2)}; help/floor wall ${(wallOf(help) / wallOf(floor)).toFixed(2)}; status/floor wall ${(wallOf(status) / wallOf(floor)).toFixed(2)}`);
} finally {
  await server.stop();
  rmSync(home, { recursive: true, force: true });
}
