/**
 * The copy and the read-and-compare a user would write by hand, sharing no code with Tracer: its own
 * keyset query per partition (equal id ranges between min and max), its own mapping,
 * `JSON.stringify`, and POSTs through its own keep-alive `http.Agent`, one loop per partition. The
 * yardstick for the benchmarks' discard-target ratios: what this machine can do with the same
 * source, batch and concurrency, minus everything durable.
 */
import http from 'node:http';
import pg from 'pg';
import mysql from 'mysql2/promise';

interface Row {
  id: number | string;
  customer_id: number;
  total_cents: number | string;
  status: string;
  updated_at: Date;
}

const STATUS: Record<string, string> = { NEW: 'created', PAID: 'paid', SHIPPED: 'shipped' };

export interface HandLoopOptions {
  engine: 'postgres' | 'mysql';
  sourceUrl: string;
  /** The target's base URL and bearer token. */
  targetUrl: string;
  token: string;
  batch: number;
  partitions: number;
}

const mapRow = (r: Row) => ({
  id: Number(r.id),
  customerId: r.customer_id,
  total: Number(r.total_cents),
  status: STATUS[r.status],
  updatedAt: r.updated_at.toISOString(),
});
type Item = ReturnType<typeof mapRow>;

/**
 * Walks `orders` in keyset pages, one loop per partition over equal id ranges, handing each page's
 * rows to `page` with a POST function bound to a keep-alive agent; returns the rows walked.
 */
async function walk(o: HandLoopOptions, path: string, page: (rows: Row[], post: (body: string) => Promise<unknown>) => Promise<void>): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.partitions });
  const target = new URL(path, o.targetUrl);
  const post = (body: string) =>
    new Promise<unknown>((resolve, reject) => {
      const req = http.request(
        target,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${o.token}` } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`${path} answered ${res.statusCode}`));
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  // One connection per partition, as a script would hold one per loop.
  const pgPool = o.engine === 'postgres' ? new pg.Pool({ connectionString: o.sourceUrl, max: o.partitions }) : undefined;
  const myPool = o.engine === 'mysql' ? mysql.createPool({ uri: o.sourceUrl, connectionLimit: o.partitions, supportBigNumbers: true, timezone: 'Z' }) : undefined;
  const query = async (sql: string, params: unknown[]): Promise<Row[]> => {
    if (pgPool) return (await pgPool.query(sql.replace(/\?/g, (_, i: number) => `$${sql.slice(0, i).split('?').length}`), params)).rows as Row[];
    return (await myPool!.query(sql, params))[0] as Row[];
  };
  try {
    const [bounds] = (await query('select min(id) as lo, max(id) as hi from orders', [])) as unknown as { lo: number | string; hi: number | string }[];
    const lo = Number(bounds!.lo) - 1;
    const hi = Number(bounds!.hi);
    const step = Math.ceil((hi - lo) / o.partitions);
    let walked = 0;
    await Promise.all(
      Array.from({ length: o.partitions }, async (_, p) => {
        let after = lo + p * step;
        const upTo = Math.min(hi, lo + (p + 1) * step);
        for (;;) {
          const rows = await query('select id, customer_id, total_cents, status, updated_at from orders where id > ? and id <= ? order by id limit ?', [after, upTo, o.batch]);
          if (rows.length === 0) return;
          await page(rows, post);
          walked += rows.length;
          after = Number(rows[rows.length - 1]!.id);
          if (rows.length < o.batch) return;
        }
      }),
    );
    return walked;
  } finally {
    agent.destroy();
    await pgPool?.end();
    await myPool?.end();
  }
}

/** Copies every row of `orders` into the target; returns the rows copied. */
export function handLoop(o: HandLoopOptions): Promise<number> {
  return walk(o, '/v1/orders:batchUpsert', async (rows, post) => {
    const { results } = (await post(JSON.stringify({ items: rows.map(mapRow) }))) as { results: { status: number }[] };
    if (results.some((r) => r.status >= 300)) throw new Error('an item was refused');
  });
}

/** Reads every row of `orders` back from the target by key and compares it field by field; returns rows compared and how many differ. */
export async function handVerifyLoop(o: HandLoopOptions): Promise<{ compared: number; differing: number }> {
  let differing = 0;
  const compared = await walk(o, '/v1/orders:batchGet', async (rows, post) => {
    const { items } = (await post(JSON.stringify({ keys: rows.map((r) => ({ id: Number(r.id) })) }))) as { items: Item[] };
    const byId = new Map(items.map((i) => [i.id, i]));
    for (const r of rows) {
      const want = mapRow(r);
      const got = byId.get(want.id);
      if (!got || got.customerId !== want.customerId || got.total !== want.total || got.status !== want.status || got.updatedAt !== want.updatedAt) differing++;
    }
  });
  return { compared, differing };
}
