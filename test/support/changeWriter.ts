/** A live writer against a legacy `orders` table, for sync tests. */
import pg from 'pg';
import mysql from 'mysql2/promise';

export interface ChangeWriter {
  stop(): Promise<{ inserts: number; updates: number; deletes: number; deleted: number[] }>;
  /** Changes committed so far. */
  committed(): number;
}

/**
 * An application writing the seeded `orders` table (ids 1..rows, test/support/seed.ts): 2/5 inserts,
 * 2/5 updates and 1/5 deletes (`deletes: false`: 2/5 inserts and 3/5 updates) at `perSecond`
 * changes a second until stopped; it reports what it did and which ids it deleted. Every write
 * stamps `updated_at` with the writer's clock.
 */
export async function startChangeWriter(engine: 'postgres' | 'mysql', url: string, rows: number, perSecond: number, concurrency = 4, opts: { deletes?: boolean } = {}): Promise<ChangeWriter> {
  const pool = engine === 'postgres' ? new pg.Pool({ connectionString: url, max: concurrency }) : mysql.createPool({ uri: url, connectionLimit: concurrency });
  const exec = async (sql: string, params: unknown[]) => {
    if (pool instanceof pg.Pool) await pool.query(sql.replace(/\?/g, (_, i: number) => `$${sql.slice(0, i).split('?').length}`), params);
    else await pool.query(sql, params);
  };
  // Ids of committed rows, with O(1) random pick and removal (the bench runs this at thousands a second).
  const live: number[] = Array.from({ length: rows }, (_, i) => i + 1);
  const slot = new Map<number, number>(live.map((id, i) => [id, i]));
  const addLive = (id: number) => {
    slot.set(id, live.length);
    live.push(id);
  };
  const removeLive = (id: number) => {
    const i = slot.get(id);
    if (i === undefined) return;
    const last = live.pop()!;
    if (last !== id) {
      live[i] = last;
      slot.set(last, i);
    }
    slot.delete(id);
  };
  const deleted: number[] = [];
  let nextId = rows + 1;
  const counts = { inserts: 0, updates: 0, deletes: 0 };
  let stopping = false;
  const pick = () => live[Math.floor(Math.random() * live.length)]!;
  const now = () => (engine === 'postgres' ? new Date() : new Date().toISOString().replace('T', ' ').replace('Z', ''));
  const one = async (n: number) => {
    const r = n % 5;
    if (r < 2) {
      const id = nextId++;
      await exec('insert into orders (id, customer_id, total_cents, status, updated_at) values (?, ?, ?, ?, ?)', [id, (id % 97) + 1, id * 3, 'NEW', now()]);
      // Only committed rows are picked for updates and deletes, so a delete never races its own insert.
      addLive(id);
      counts.inserts++;
    } else if (r < 4 || opts.deletes === false) {
      await exec('update orders set total_cents = total_cents + 1, status = ?, updated_at = ? where id = ?', ['PAID', now(), pick()]);
      counts.updates++;
    } else {
      const id = pick();
      removeLive(id);
      deleted.push(id);
      await exec('delete from orders where id = ?', [id]);
      counts.deletes++;
    }
  };
  // Up to `concurrency` writes in flight, as several application requests would be, so the rate holds on a busy machine.
  const loop = (async () => {
    const started = Date.now();
    const inFlight = new Set<Promise<void>>();
    let launched = 0;
    while (!stopping) {
      const due = Math.floor(((Date.now() - started) / 1000) * perSecond);
      while (launched < due && inFlight.size < concurrency && !stopping) {
        const p: Promise<void> = one(launched++).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inFlight);
  })();
  return {
    committed: () => counts.inserts + counts.updates + counts.deletes,
    async stop() {
      stopping = true;
      await loop;
      await pool.end();
      return { ...counts, deleted };
    },
  };
}

