/**
 * A separate process playing an application that dual-writes: it updates random `orders` rows in the
 * legacy database, then (after a random delay up to maxDelayMs) the same row in the service through
 * its API — and drops every `dropEvery`-th second write. On "stop" (stdin) it stops starting new
 * writes, finishes the ones in flight and prints one JSON line: writes made, and the ids whose last
 * second write was dropped (the rows that must end up as persistent mismatches).
 * Config comes as JSON in WRITER_CONFIG.
 */
import pg from 'pg';
import mysql from 'mysql2/promise';

interface Config {
  engine: 'postgres' | 'mysql';
  sourceUrl: string;
  serviceUrl: string;
  token: string;
  rows: number;
  perSecond: number;
  maxDelayMs: number;
  /** 0: never drop. */
  dropEvery: number;
}

const cfg = JSON.parse(process.env.WRITER_CONFIG ?? '{}') as Config;
const STATUS = ['created', 'paid', 'shipped'];

async function openSource(): Promise<(id: number, total: number, at: Date) => Promise<void>> {
  if (cfg.engine === 'postgres') {
    const pool = new pg.Pool({ connectionString: cfg.sourceUrl, max: 4 });
    return async (id, total, at) => void (await pool.query('update orders set total_cents = $1, updated_at = $2 where id = $3', [total, at, id]));
  }
  const pool = mysql.createPool({ uri: cfg.sourceUrl, connectionLimit: 4 });
  return async (id, total, at) => {
    const ts = at.toISOString().replace('T', ' ').replace('Z', '');
    await pool.query('update orders set total_cents = ?, updated_at = ? where id = ?', [total, ts, id]);
  };
}

async function writeService(id: number, total: number, at: Date): Promise<void> {
  const item = { id, customerId: (id % 97) + 1, total, status: STATUS[id % 3], updatedAt: at.toISOString() };
  const res = await fetch(`${cfg.serviceUrl}/v1/orders:batchUpsert`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${cfg.token}` },
    body: JSON.stringify({ items: [item] }),
  });
  if (!res.ok) throw new Error(`service answered ${res.status}`);
  await res.text();
}

const updateSource = await openSource();
const inFlight = new Set<number>();
const lastDropped = new Map<number, boolean>();
const pending = new Set<Promise<void>>();
let writes = 0;
let seconds = 0;
let stopping = false;
let counter = 0;
let launched = 0;
const started = Date.now();

async function one(): Promise<void> {
  let id: number;
  // Never two overlapping writes of one row: their second writes could land out of order, a real race, not a drop.
  do id = 1 + Math.floor(Math.random() * cfg.rows);
  while (inFlight.has(id));
  inFlight.add(id);
  const total = 1_000_000_000 + ++counter;
  const at = new Date();
  await updateSource(id, total, at);
  writes++;
  await new Promise((r) => setTimeout(r, Math.random() * cfg.maxDelayMs));
  seconds++;
  const drop = cfg.dropEvery > 0 && seconds % cfg.dropEvery === 0;
  if (!drop) await writeService(id, total, at);
  lastDropped.set(id, drop);
  inFlight.delete(id);
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (d: string) => {
  if (d.includes('stop')) stopping = true;
});
process.stdout.write('ready\n');
while (!stopping) {
  const due = Math.floor(((Date.now() - started) / 1000) * cfg.perSecond);
  while (launched < due && !stopping) {
    launched++;
    const p = one().catch((e: Error) => {
      process.stderr.write(`writer: ${e.message}\n`);
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }
  await new Promise((r) => setTimeout(r, 20));
}
await Promise.all([...pending]);
const dropped = [...lastDropped].filter(([, d]) => d).map(([id]) => id).sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ writes, dropped }) + '\n');
process.exit(0);
