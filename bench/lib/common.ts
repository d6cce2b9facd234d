/**
 * What the backfill and verify benchmarks share: seeding the legacy `orders` table, the reference
 * service as its own process, the plan file, a real `migrate worker` process, and peak-RSS sampling.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { DEFAULT_WORKER_HEAP_MB, workerNodeFlags } from '../../src/ops/workerHeap.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const PG_ADMIN = process.env.BENCH_PG_URL ?? process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_ADMIN = process.env.BENCH_MYSQL_URL ?? process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
export const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** Peak RSS of this process while `fn` runs, sampled every 100 ms. */
export async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peakRss: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  try {
    const value = await fn();
    return { value, peakRss: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

/**
 * CPU seconds (user + system, all threads) another process has used so far (Linux: /proc/<pid>/stat,
 * clock ticks of 1/100 s). Unlike rows/s, a phase's CPU time barely moves when other processes
 * load the machine, so it compares runs made at different load averages.
 */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

/** CPU seconds this process used while `fn` ran. */
export async function withCpu<T>(fn: () => Promise<T>): Promise<{ value: T; cpuSeconds: number }> {
  const before = process.cpuUsage();
  const value = await fn();
  const d = process.cpuUsage(before);
  return { value, cpuSeconds: (d.user + d.system) / 1e6 };
}

/** The 1-minute load average now, for printing beside a figure. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** Peak RSS of another process so far (Linux: VmHWM), in bytes. */
export function peakRssOf(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/**
 * The legacy `orders` table with ids 1..rows. `updatedAtIndex` adds the index on updated_at that a
 * real table queried by "changed since" has; without it a catch-up scan reads the whole table.
 */
export async function seedOrders(engine: 'postgres' | 'mysql', url: string, rows: number, opts: { updatedAtIndex?: boolean } = {}): Promise<void> {
  if (engine === 'postgres') {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('create table orders (id bigint primary key, customer_id int not null, total_cents bigint not null, status text not null, updated_at timestamptz not null)');
    await c.query(
      `insert into orders select g, (g % 97) + 1, g * 10 + 1, (array['NEW','PAID','SHIPPED'])[1 + g % 3], timestamptz '2024-01-01' + g * interval '1 second' from generate_series(1, $1) g`,
      [rows],
    );
    if (opts.updatedAtIndex) await c.query('create index orders_updated_at on orders (updated_at)');
    // Vacuum sets every row's hint bits now; otherwise whichever phase reads first pays for it.
    await c.query('vacuum (analyze) orders');
    await c.end();
    return;
  }
  const c = await mysql.createConnection(url);
  await c.query('create table orders (id bigint primary key, customer_id int not null, total_cents bigint not null, status varchar(16) not null, updated_at datetime(6) not null)');
  // MariaDB's sequence engine generates the ids server-side, as fast as generate_series.
  for (let start = 1; start <= rows; start += 500_000) {
    const end = Math.min(rows, start + 499_999);
    await c.query(
      `insert into orders select seq, (seq % 97) + 1, seq * 10 + 1, elt(1 + seq % 3, 'NEW', 'PAID', 'SHIPPED'), timestamp '2024-01-01 00:00:00' + interval seq second from seq_${start}_to_${end}`,
    );
  }
  if (opts.updatedAtIndex) await c.query('create index orders_updated_at on orders (updated_at)');
  await c.query('analyze table orders');
  await c.end();
}

export interface Service {
  url: string;
  child: ChildProcess;
  itemsReceived(): Promise<number>;
  /** Epoch ms of the first and last write that reached the store. */
  writeSpan(): Promise<{ first: number; last: number }>;
  /** Zeroes the counters (the discard target; the reference service has no such call). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** The reference service as its own process, so its CPU and memory are not the benchmarked process'. */
export function startService(databaseUrl: string, schema: string, token: string): Promise<Service> {
  return spawnTarget([join(ROOT, 'examples/fulfillment-service/main.ts'), '--port', '0', '--database-url', databaseUrl, '--schema', schema, '--token', token, '--no-track-keys'], 'the service');
}

/** The discard target (bench/lib/discardTarget.ts) as its own process: parses and answers, stores nothing. */
export function startDiscardTarget(token: string): Promise<Service> {
  return spawnTarget([join(ROOT, 'bench/lib/discardTarget.ts'), '--port', '0', '--token', token], 'the discard target');
}

async function spawnTarget(script: string[], what: string): Promise<Service> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) res(m[1]!);
    });
    child.once('exit', (code) => rej(new Error(`${what} exited (${code}) before listening`)));
  });
  const admin = async () => (await (await fetch(`${url}/admin/requests`)).json()) as { itemsReceived: number; firstWriteAt: number; lastWriteAt: number };
  return {
    url,
    child,
    async itemsReceived() {
      return (await admin()).itemsReceived;
    },
    async writeSpan() {
      const r = await admin();
      return { first: r.firstWriteAt, last: r.lastWriteAt };
    },
    async reset() {
      const r = await fetch(`${url}/admin/reset`, { method: 'POST' });
      if (!r.ok) throw new Error(`${what} cannot reset its counters (HTTP ${r.status})`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

export interface PlanOptions {
  dir: string;
  name: string;
  sourceUrl: string;
  stateUrl: string;
  serviceUrl: string;
  temporalAddress: string;
  taskQueue: string;
  batch: number;
  partitions: number;
  /** Source pool size; the plan's default (8) when absent. */
  poolSize?: number;
  /** Batch size of the service's batch read; the whole key list in one request when absent. */
  readBatch?: number;
  /** Adds the service's list endpoint (extras). */
  list?: boolean;
  /** A `verify:` phase body, e.g. `{ recheckAfter: 1s, recheckRounds: 1 }`. */
  verify?: string;
  /** A `sync:` phase body, e.g. `{ capture: triggers, flag: orders.sync }`; adds the batch delete endpoint sync needs. */
  sync?: string;
}

/** The bench plan; the service token comes from BENCH_SERVICE_TOKEN, as a real plan's would from its environment. */
export function writePlan(o: PlanOptions): string {
  const file = join(o.dir, `${o.name}.yaml`);
  writeFileSync(
    file,
    `version: 1
name: ${o.name}
state: { url: "${o.stateUrl}" }
temporal: { address: "${o.temporalAddress}", taskQueue: ${o.taskQueue} }
sources:
  legacy: { url: "${o.sourceUrl}"${o.poolSize !== undefined ? `, poolSize: ${o.poolSize}` : ''} }
targets:
  fulfillment:
    baseUrl: "${o.serviceUrl}"
    headers: { Authorization: "Bearer \${BENCH_SERVICE_TOKEN}" }
    timeout: 30s
entities:
  orders:
    source: { db: legacy, table: orders, key: [id], updatedAt: updated_at }
    target:
      service: fulfillment
      write: { method: POST, path: "/v1/orders:batchUpsert", batch: ${o.batch} }
      read: { method: POST, path: "/v1/orders:batchGet"${o.readBatch !== undefined ? `, batch: ${o.readBatch}` : ''} }${o.list ? '\n      list: { path: /v1/orders }' : ''}${o.sync ? `\n      delete: { method: POST, path: "/v1/orders:batchDelete", batch: ${o.batch} }` : ''}
    map:
      id: id
      customerId: customer_id
      total: { from: total_cents, as: integer }
      status: { from: status, values: { NEW: created, PAID: paid, SHIPPED: shipped } }
      updatedAt: { from: updated_at, as: timestamp }
    phases:
      - backfill: { batchSize: ${o.batch}, partitions: ${o.partitions}, flag: orders.backfill }${o.sync ? `\n      - sync: ${o.sync}` : ''}${o.verify ? `\n      - verify: ${o.verify}` : ''}
`,
  );
  return file;
}

export interface WorkerProcess {
  child: ChildProcess;
  /** The worker's peak RSS so far (VmHWM). */
  peakRss(): number;
  /** CPU seconds the worker has used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/**
 * A real `migrate worker` for the plan, resolved once it polls. `nodeOptions` becomes its
 * NODE_OPTIONS (e.g. `--max-old-space-size=128`, the background worker's cap in src/ops/workers.ts).
 * BENCH_WORKER_NODE_ARGS adds node flags to its command line (a profile: `--cpu-prof
 * --cpu-prof-dir=<dir>`, written when the worker exits on the bench's SIGTERM); BENCH_WORKER_STDOUT
 * names a file its standard output is appended to (`--trace-gc` prints there).
 */
export async function startWorkerProcess(planFile: string, nodeOptions?: string): Promise<WorkerProcess> {
  // Without NODE_OPTIONS the worker gets the product's default cap as a node flag: left to itself it
  // would run again as a child under the cap, and VmHWM would measure the wrong process.
  const heapFlag = nodeOptions === undefined ? workerNodeFlags(DEFAULT_WORKER_HEAP_MB) : [];
  // Node flags NODE_OPTIONS refuses, e.g. BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extraFlags = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const child = spawn(process.execPath, [...heapFlag, ...extraFlags, join(ROOT, 'bin/migrate.js'), 'worker', '--plan', planFile, '--identity', 'bench-worker'], {
    cwd: ROOT,
    // BENCH_WORKER_STDOUT=<file> keeps what the worker prints there (e.g. with BENCH_WORKER_NODE_ARGS=--trace-gc).
    stdio: ['ignore', process.env.BENCH_WORKER_STDOUT ? openSync(process.env.BENCH_WORKER_STDOUT, 'a') : 'ignore', 'pipe'],
    env: nodeOptions === undefined ? process.env : { ...process.env, NODE_OPTIONS: nodeOptions },
  });
  await new Promise<void>((res, rej) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('polling task queue')) res();
    });
    child.once('exit', (code) => rej(new Error(`the worker exited (${code}) before polling:\n${err}`)));
  });
  return {
    child,
    peakRss: () => peakRssOf(child.pid!),
    cpuSeconds: () => cpuSecondsOf(child.pid!),
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

/** Flushes PostgreSQL's dirty pages, so a phase does not pay for the previous phase's writes. */
export async function pgCheckpoint(): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  await c.query('checkpoint');
  await c.end();
}
