/**
 * `npm run demo`: the whole lifecycle of one entity on this machine with embedded defaults
 * (plans/demo.yaml) — a sample legacy database, the reference fulfillment service, two sample
 * consumer apps (examples/orders-consumer) reading and writing orders through the consumer library
 * under live load, and a local Temporal dev server and worker started by migrate itself. Every
 * phase and approval goes through the real CLI (scripts/demo-lifecycle.ts); at the end the history
 * checker reads what the apps recorded and prints its verdict. Repeatable: each run resets the
 * demo's databases and ends what an interrupted earlier run left open.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { startLoad, type LoadResult, type RunningLoad } from '../bench/history/loadgen.js';
import { defaultPlanFile } from '../src/cli/resolvePlan.js';
import { loadPlanFile } from '../src/plan/load.js';
import { connectClient } from '../src/temporal/connect.js';
import { migrateHome } from '../src/temporal/local.js';
import { resolveTemporalSettings } from '../src/temporal/settings.js';
import { startOrdersConsumers, type OrdersConsumer } from '../test/support/ordersConsumers.js';
import { BIN, startReadyProcess, stopProcess, type ReadyProcess } from '../test/support/processes.js';
import { bounded, demoCli, DemoStop } from './demo-cli.js';
import { walkLifecycle } from './demo-lifecycle.js';
import { DEMO_DATABASES, demoDatabaseUrl, seedDemo } from './demo-seed.js';

const PLAN = 'plans/demo.yaml';
const ENTITY = 'orders';
const CONSUMERS = ['reporting', 'billing'] as const;
const ORDERS = Number(process.env.DEMO_ORDERS ?? 20_000);
/** The keys the apps' load reads and writes (one writer per key; docs/history-checker.md). */
const LOAD_KEYS = Array.from({ length: Number(process.env.DEMO_LOAD_KEYS ?? 400) }, (_, k) => k + 1);
const LOAD_RATE = Number(process.env.DEMO_LOAD_RATE ?? 40);
/** How long the demo waits for Temporal to delete an earlier run's workflows. */
const DELETE_LIMIT_MS = 120_000;
const cwd = process.cwd();
const work = join(migrateHome(process.env, cwd), 'demo');
const historyDir = join(work, 'history');

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

const servicePort = process.env.DEMO_SERVICE_PORT ?? ((await portFree(8787)) ? '8787' : '0');
const env: NodeJS.ProcessEnv = {
  ...process.env,
  FULFILLMENT_TOKEN: process.env.FULFILLMENT_TOKEN ?? 'dev-token',
  MIGRATE_ACTOR: process.env.MIGRATE_ACTOR ?? 'demo',
  // The plan's defaults, set so that a variable of the same name in the caller's shell cannot point the demo elsewhere.
  LEGACY_DATABASE_URL: demoDatabaseUrl(DEMO_DATABASES.legacy),
  MIGRATE_STATE_URL: demoDatabaseUrl(DEMO_DATABASES.state),
  MIGRATE_TASK_QUEUE: 'migrate-demo',
};
delete env.MIGRATE_PLAN;
const cli = demoCli(env);

/** What the demo started itself, stopped on the way out (by the handles it holds, never by name). */
const running: { service?: ChildProcess; serve?: ReadyProcess; ingest?: ReadyProcess; apps: OrdersConsumer[]; load?: RunningLoad } = { apps: [] };

/** The load, the apps (each flushes its report and history on SIGTERM), the routing server and the ingest. */
async function stopApps(): Promise<void> {
  await running.load?.stop();
  running.load = undefined;
  for (const a of running.apps) await stopProcess(a);
  running.apps = [];
  await stopProcess(running.serve);
  await stopProcess(running.ingest);
}

/** Everything the demo started; the service last: the history checker reads the final truth from it. */
async function stopOwn(): Promise<void> {
  await stopApps();
  if (running.service && running.service.exitCode === null && running.service.signalCode === null) {
    const exited = new Promise<void>((resolve) => running.service!.once('exit', () => resolve()));
    running.service.kill('SIGTERM');
    await exited;
  }
}

/** The Temporal dev server and background workers migrate started for this folder that are alive, from their pid files. */
function stillRunning(): string[] {
  const home = migrateHome(env, cwd);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const out: string[] = [];
  const state = join(home, 'temporal.json');
  if (existsSync(state)) {
    const s = JSON.parse(readFileSync(state, 'utf8')) as { pid: number; uiPort: number };
    if (alive(s.pid)) out.push(`the Temporal dev server (pid ${s.pid}, web UI http://127.0.0.1:${s.uiPort})`);
  }
  for (const f of existsSync(home) ? readdirSync(home).filter((n) => /^worker-.+\.pid$/.test(n)) : []) {
    const pid = Number(readFileSync(join(home, f), 'utf8').trim());
    if (alive(pid)) out.push(`a background worker for plan ${f.slice('worker-'.length, -'.pid'.length)} (pid ${pid})`);
  }
  return out;
}

/**
 * The workflows of earlier demo runs, deleted from this folder's Temporal: they describe databases
 * that no longer exist (a completed backfill would make `migrate backfill` say there is nothing
 * to copy), and one an interrupted run left open would act on the new databases once a worker starts.
 */
async function deleteEarlierWorkflows(): Promise<void> {
  const loaded = await loadPlanFile(PLAN, env);
  const temporal = await connectClient(resolveTemporalSettings(loaded.plan, env), env, cwd);
  try {
    if (temporal.startedLocal) cli.say(`Started the local Temporal dev server at ${temporal.startedLocal.address} (web UI ${temporal.startedLocal.uiUrl}).`);
    const prefix = `migrate/${loaded.plan.name}/`;
    const earlier: { id: string; open: boolean }[] = [];
    for await (const w of temporal.client.workflow.list()) if (w.workflowId.startsWith(prefix)) earlier.push({ id: w.workflowId, open: w.status.name === 'RUNNING' });
    const namespace = temporal.settings.namespace;
    // The backfill first: a completed one is the only earlier workflow a command of this run would
    // take as its own (the others are started anew under their IDs).
    const backfill = `${prefix}${ENTITY}/backfill`;
    const ids = [...new Set(earlier.map((w) => w.id))].sort((x, y) => Number(y === backfill) - Number(x === backfill));
    // Deleting a running workflow terminates it first.
    for (const id of ids) await temporal.client.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId: id } });
    const exists = async (id: string) => {
      try {
        await temporal.client.workflow.getHandle(id).describe();
        return true;
      } catch {
        return false;
      }
    };
    // The dev server deletes in the background, in seconds on an idle machine, minutes on a busy one.
    const started = Date.now();
    let left = ids;
    let said = started;
    while (left.length > 0 && Date.now() - started < DELETE_LIMIT_MS) {
      await new Promise((r) => setTimeout(r, 500));
      left = (await Promise.all(left.map(async (id) => ((await exists(id)) ? [id] : [])))).flat();
      if (left.length > 0 && Date.now() - said >= 15_000) {
        said = Date.now();
        cli.say(`  Temporal is still deleting ${left.length} of them (${Math.round((said - started) / 1000)} s so far; at most ${DELETE_LIMIT_MS / 1000} s)…`);
      }
    }
    if (left.includes(backfill)) throw new DemoStop(`Temporal did not delete the earlier run's ${backfill} within ${DELETE_LIMIT_MS / 1000} s; \`npx migrate local stop\`, then run the demo again`);
    if (left.length > 0) cli.say(`  Still being deleted, and started anew under the same IDs when their step comes: ${left.join(', ')}.`);
    const open = earlier.filter((w) => w.open).map((w) => w.id);
    cli.say(
      ids.length === 0
        ? 'No workflow of an earlier demo run is in Temporal.'
        : `Deleted ${ids.length} workflow(s) of earlier demo runs from Temporal${open.length ? `, ${open.length} of them still open (${open.join(', ')})` : ', none of them open'}.`,
    );
  } finally {
    await temporal.close();
  }
}

async function startService(): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/fulfillment-service/main.ts', '--port', servicePort, '--database-url', demoDatabaseUrl(DEMO_DATABASES.service), '--token', env.FULFILLMENT_TOKEN!], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.service = child;
  return new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new DemoStop('the reference fulfillment service did not start within 60 s')), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new DemoStop(`the fulfillment service exited with code ${code}`)));
  });
}

/** Routing server, report ingest and rules through the CLI, then one app per consumer recording its history, then the load. */
async function consumersUp(): Promise<void> {
  cli.step(
    'Consumer apps under load',
    `Two sample apps (${CONSUMERS.join(', ')}) read and write orders through the consumer library: they fetch the routing\nfrom \`migrate flags serve\`, report to \`migrate consumer ingest\`, and record every operation for the history checker.`,
  );
  cli.say(`\n$ migrate flags serve --port 0 &`);
  running.serve = await bounded(startReadyProcess([BIN, 'flags', 'serve', '--port', '0'], env, /at (http:\/\/[^/\s]+)\/routing\/<entity>/), 60_000, '`migrate flags serve` saying where it serves');
  cli.say(`  serves routing documents at ${running.serve.match[1]}/routing/${ENTITY}`);
  cli.say(`$ migrate consumer ingest --port 0 &`);
  running.ingest = await bounded(startReadyProcess([BIN, 'consumer', 'ingest', '--port', '0'], env, /at (http:\/\/[^\s]+)\/v1\/consumer-reports/), 60_000, '`migrate consumer ingest` saying where it listens');
  cli.say(`  takes reports at ${running.ingest.match[1]}/v1/consumer-reports`);
  const rulesFile = join(work, `${ENTITY}.rules.json`);
  await cli.must(['consumer', 'rules', '--entity', ENTITY, '--out', rulesFile]);
  // The values before the load: what the checker takes as version 0.
  const snapshot = await cli.program('npm', ['run', '--silent', 'history:check', '--', 'snapshot', historyDir, '--truth', 'legacy'], `npm run history:check -- snapshot ${relative(cwd, historyDir)} --truth legacy`, { env });
  if (snapshot !== 0) throw new DemoStop(`the snapshot of the values before the load failed (exit ${snapshot})`);
  running.apps = await bounded(startOrdersConsumers(CONSUMERS, {
    legacyUrl: env.LEGACY_DATABASE_URL!,
    serviceUrl: env.FULFILLMENT_URL!,
    routing: `${running.serve.match[1]}/routing/${ENTITY}`,
    reportUrl: `${running.ingest.match[1]}/v1/consumer-reports`,
    rulesFile,
    dir: work,
    historyDir,
    env: { FULFILLMENT_TOKEN: env.FULFILLMENT_TOKEN, POLL_MS: '500', REPORT_EVERY_MS: '1000', RECHECK_MS: '1000' },
  }), 120_000, 'the two sample apps listening');
  for (const a of running.apps) cli.say(`  app ${a.name} (pid ${a.child.pid}) listening on ${a.url}`);
  running.load = startLoad({ apps: running.apps.map((a) => a.url), keys: LOAD_KEYS, workersPerApp: 2, ratePerSecond: LOAD_RATE, timeoutMs: 10_000 });
  cli.say(`  load: up to ${LOAD_RATE} operations/s over orders 1..${LOAD_KEYS.length}, one write in three, from now until before retire`);
}

function loadLine(r: LoadResult): string {
  return `${r.writes.ok + r.writes.failed + r.writes.unknown + r.reads.ok + r.reads.failed} operations in ${(r.elapsedMs / 1000).toFixed(0)} s (${r.opsPerSecond}/s): ${r.writes.ok} writes acknowledged, ${r.writes.failed} refused while writes were fenced, ${r.writes.unknown} unknown; ${r.reads.ok} reads, ${r.reads.failed} failed`;
}

async function loadDone(): Promise<void> {
  cli.step('Load stops', 'The apps stay up (retire checks that every live app acknowledged the routing in force); the load ends.');
  const r = await running.load!.stop();
  running.load = undefined;
  cli.say(`  the load made ${loadLine(r)}`);
}

async function main(): Promise<number> {
  const started = Date.now();
  cli.say(`Tracer demo: the whole lifecycle of ${ENTITY} from a legacy PostgreSQL table to a new service, on ${PLAN}.`);
  cli.say('`migrate` below is bin/migrate.js, what `npx migrate` runs in this folder; its output is shown as it comes.');

  cli.step('Reset', 'Stop what an earlier run left running here, recreate the demo databases, delete its workflows.');
  await cli.must(['local', 'stop']);
  // plans/ holds several plans: the demo's becomes this folder's default, so `npx migrate status` works after it.
  const defaultPlan = defaultPlanFile(env, cwd);
  mkdirSync(dirname(defaultPlan), { recursive: true });
  writeFileSync(defaultPlan, `${PLAN}\n`);
  cli.say(`Default plan of this folder: ${PLAN} (written to ${relative(cwd, defaultPlan)}; --plan or MIGRATE_PLAN override it).`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(historyDir, { recursive: true });
  await seedDemo(ORDERS);
  cli.say(`Databases ${Object.values(DEMO_DATABASES).join(', ')} recreated; the legacy table orders holds ${ORDERS.toLocaleString('en')} rows.`);
  const serviceUrl = await startService();
  env.FULFILLMENT_URL = serviceUrl;
  cli.say(`Reference fulfillment service (pid ${running.service!.pid}) on ${serviceUrl}.`);
  await deleteEarlierWorkflows();

  await walkLifecycle(cli, ENTITY, { consumersUp, loadDone });

  cli.step('Apps stop', 'Each app flushes its last report and its history file; the routing server and the ingest stop too.');
  await stopApps();

  cli.step('The audit log', 'Every flag flip, routing epoch, approval and the retire, with who and why.');
  await cli.run(['audit', '--entity', ENTITY, '--limit', '30']);

  cli.step(
    'The history checker',
    'Every read and write the apps made, checked against the final truth (the service, which owns orders now):\nno acknowledged write may be missing, no read may have returned a value nobody wrote.',
  );
  const verdict = await cli.program(
    'npm',
    ['run', '--silent', 'history:check', '--', historyDir, '--truth', 'service', '--initial', join(historyDir, 'initial.json'), '--window', '10s'],
    `npm run history:check -- ${relative(cwd, historyDir)} --truth service --initial ${relative(cwd, join(historyDir, 'initial.json'))} --window 10s`,
    { env },
  );

  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  cli.say(`\nThe demo took ${minutes} minutes; the history checker said ${verdict === 0 ? 'PASS' : verdict === 1 ? 'FAIL' : `it could not check (exit ${verdict})`}.`);
  return verdict;
}

async function finish(code: number, why?: string): Promise<void> {
  if (why) cli.say(`\nThe demo stopped: ${why}`);
  await stopOwn().catch(() => undefined);
  const left = stillRunning();
  cli.say(
    left.length === 0
      ? 'Nothing the demo or migrate started is still running.'
      : `Still running: ${left.join('; ')} — started by migrate for this folder and kept so that \`npx migrate status\`, \`npx migrate audit --entity ${ENTITY}\` and the web UI can show what happened; \`npx migrate local stop\` stops them. The demo's service, apps, routing server and report ingest are stopped.`,
  );
  process.exitCode = code;
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void finish(130, `${signal} received`).then(() => process.exit(130));
  });
}

try {
  await finish(await main());
} catch (e) {
  await finish(1, e instanceof DemoStop ? e.message : ((e as Error).stack ?? String(e)));
}
