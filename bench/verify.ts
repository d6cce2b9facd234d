/**
 * `npm run bench:verify -- --rows 1000000`: in one process, a baseline compare loop (the same
 * keyset pages, batch reads of the service and comparison, the same partitions in parallel, no
 * Temporal) and then `migrate verify` (the workflow on a dev server started here, in-process
 * worker); prints rows/s of both, their ratio and peak RSS. The service is seeded in bulk by SQL.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabases } from '../test/support/databases.js';
import { seedOrdersPg } from '../test/support/seed.js';
import { startFulfillmentService } from '../examples/fulfillment-service/index.js';
import { findTemporalCli, freePort, startDevServer } from '../src/temporal/devServer.js';
import { loadPlanFile } from '../src/plan/load.js';
import { createPlanResources } from '../src/activities/resources.js';
import { createWorker } from '../src/temporal/worker.js';
import { verificationDeps } from '../src/ops/verifyDeps.js';
import { openSession } from '../src/ops/session.js';
import { startVerify, verifyOutcome } from '../src/ops/verify.js';
import { compileComparator } from '../src/compare/index.js';
import { phaseOf } from '../src/plan/schema.js';
import { compareRows } from '../src/sweep/compare.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROWS = arg('rows', 100_000);
const PARTITIONS = arg('partitions', 4);
const BATCH = arg('batch', 1000);
const TOKEN = 'bench-token';
const SCHEMA = 'bench_svc';

const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function main(): Promise<void> {
  const dbs = await createTestDatabases('benchverify');
  const server = await startDevServer({ cliPath: findTemporalCli(process.env, process.cwd()), port: await freePort() });
  const service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, port: 0, token: TOKEN, trackKeys: false, schema: SCHEMA });
  const cleanup: (() => Promise<unknown>)[] = [() => service.close(), () => server.stop(), () => dbs.drop()];
  try {
    let t = Date.now();
    await seedOrdersPg(dbs.pgUrl, ROWS);
    const c = new pg.Client({ connectionString: dbs.pgUrl });
    await c.connect();
    await c.query(
      `insert into ${SCHEMA}.items (collection, key, key_values, data)
       select 'orders', id::text, jsonb_build_array(id), jsonb_build_object('id', id, 'customerId', customer_id, 'total', total_cents,
         'status', case status when 'NEW' then 'created' when 'PAID' then 'paid' else 'shipped' end,
         'updatedAt', to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) from orders`,
    );
    await c.query(`analyze ${SCHEMA}.items`);
    await c.end();
    console.log(`seeded ${ROWS} rows in both copies in ${((Date.now() - t) / 1000).toFixed(1)}s`);

    const dir = mkdtempSync(join(tmpdir(), 'tracer-bench-'));
    const file = join(dir, 'plan.yaml');
    writeFileSync(
      file,
      `version: 1
name: bench-verify
state: { url: "${dbs.pgUrl}" }
temporal: { address: "${server.address}", taskQueue: bench-verify }
sources:
  legacy: { url: "${dbs.pgUrl}", poolSize: ${PARTITIONS + 2} }
targets:
  fulfillment: { baseUrl: "${service.url}", headers: { Authorization: "Bearer ${TOKEN}" }, timeout: 30s }
entities:
  orders:
    source: { db: legacy, table: orders, key: [id], updatedAt: updated_at }
    target:
      service: fulfillment
      write: { method: POST, path: "/v1/orders:batchUpsert", batch: ${BATCH} }
      read: { method: POST, path: "/v1/orders:batchGet", batch: ${BATCH} }
      list: { path: /v1/orders }
    map:
      id: id
      customerId: customer_id
      total: { from: total_cents, as: integer }
      status: { from: status, values: { NEW: created, PAID: paid, SHIPPED: shipped } }
      updatedAt: { from: updated_at, as: timestamp }
    phases:
      - backfill: { batchSize: ${BATCH}, partitions: ${PARTITIONS}, flag: orders.backfill }
      - verify: { recheckAfter: 1s, recheckRounds: 1, batchSize: ${BATCH}, partitions: ${PARTITIONS} }
`,
    );
    const loaded = await loadPlanFile(file, process.env);
    const e = loaded.plan.entities.orders!;

    // Baseline: the same partitions, pages, batch reads and comparison, without Temporal or checkpoints.
    const res = createPlanResources(loaded);
    const source = await res.source('legacy');
    const deps = {
      mapper: res.mapping('orders'),
      comparator: compileComparator(e, phaseOf(e, 'verify')!),
      target: res.target('orders'),
      keyOf: (row: Record<string, unknown>) => source.keyOf(e.source, row),
    };
    t = Date.now();
    const ranges = await source.splitKeySpace(e.source, PARTITIONS);
    let compared = 0;
    let differing = 0;
    await Promise.all(
      ranges.map(async (range) => {
        let after = range.after;
        for (;;) {
          const page = await source.readPage(e.source, { after, upTo: range.upTo }, BATCH);
          if (page.rows.length === 0 || !page.last) return;
          const results = await compareRows(deps, page.rows);
          compared += results.length;
          differing += results.filter((r) => r.status !== 'match').length;
          after = page.last;
          if (page.rows.length < BATCH) return;
        }
      }),
    );
    const baseMs = Date.now() - t;
    const baseRate = Math.round((compared * 1000) / baseMs);
    console.log(`baseline: ${compared} rows compared (${differing} differ) in ${(baseMs / 1000).toFixed(1)}s = ${baseRate} rows/s; peak RSS ${rssMb()} MB`);
    await res.close();

    // migrate verify: the workflow with an in-process worker.
    const wres = createPlanResources(loaded);
    const { worker, connection } = await createWorker({
      settings: { address: server.address, namespace: 'default', taskQueue: 'bench-verify' },
      deps: { resources: wres, ...verificationDeps() },
      cacheDir: join(process.cwd(), '.migrate', 'cache'),
      identity: 'bench-worker',
    });
    const running = worker.run();
    const session = await openSession(loaded, process.env, process.cwd());
    t = Date.now();
    const { handle } = await startVerify(session, 'orders', 'bench');
    const { report } = await verifyOutcome(session, handle);
    const wallMs = Date.now() - t;
    const r = report.report;
    const ratio = r.sweepRowsPerSec / baseRate;
    console.log(
      `migrate verify: ${r.totals.compared} rows, persistent ${r.totals.persistent}, extra ${r.totals.extra}; sweep ${r.sweepRowsPerSec} rows/s; ` +
        `whole run incl. catch-up, extras listing and report ${((wallMs) / 1000).toFixed(1)}s = ${Math.round((r.totals.compared * 1000) / wallMs)} rows/s`,
    );
    console.log(`ratio (verify sweep / baseline): ${ratio.toFixed(2)}; peak RSS ${rssMb()} MB`);
    await session.close();
    worker.shutdown();
    await running;
    await wres.close();
    await connection.close();
  } finally {
    for (const f of cleanup) await f().catch(() => undefined);
  }
}

await main();
