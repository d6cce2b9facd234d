/**
 * The sample app's legacy store: an `orders` table (`id bigint, status text, total_cents bigint,
 * email text`) in PostgreSQL (`postgres://…`) or MySQL/MariaDB (`mysql://…`), read and written
 * as the app's `Order` shape. The history checker reads its final truth through it too.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';

export interface Order {
  id: number;
  status: string;
  total: number;
  email: string;
}

export interface LegacyOrders {
  get(id: number): Promise<Order | null>;
  /** The orders among `ids` that exist. */
  getMany(ids: number[]): Promise<Order[]>;
  all(): Promise<Order[]>;
  /** Insert or replace. */
  put(order: Order): Promise<void>;
  close(): Promise<void>;
}

type Row = { id: string | number; status: string; total_cents: string | number; email: string };
const toOrder = (r: Row): Order => ({ id: Number(r.id), status: r.status, total: Number(r.total_cents), email: r.email });
const COLUMNS = 'id, status, total_cents, email';

/** Opens the store; `create` makes the table when missing (the app does, a checker does not). */
export async function openLegacyOrders(url: string, options: { table?: string; create?: boolean } = {}): Promise<LegacyOrders> {
  const table = options.table ?? 'orders';
  if (!/^[a-z_][a-z0-9_]*$/i.test(table)) throw new Error(`table ${JSON.stringify(table)}: a plain identifier is expected`);
  if (/^mysql:/.test(url)) {
    const pool = mysql.createPool({ uri: url, connectionLimit: 4 });
    if (options.create) await pool.query(`create table if not exists ${table} (id bigint primary key, status varchar(64) not null, total_cents bigint not null, email varchar(255) not null)`);
    const select = async (where: string, params: unknown[]): Promise<Order[]> => ((await pool.query(`select ${COLUMNS} from ${table}${where}`, params))[0] as Row[]).map(toOrder);
    return {
      get: async (id) => (await select(' where id = ?', [id]))[0] ?? null,
      getMany: async (ids) => (ids.length === 0 ? [] : select(' where id in (?)', [ids])),
      all: () => select('', []),
      async put(o) {
        await pool.query(
          `insert into ${table} (${COLUMNS}) values (?, ?, ?, ?)
           on duplicate key update status = values(status), total_cents = values(total_cents), email = values(email)`,
          [o.id, o.status, o.total, o.email],
        );
      },
      close: () => pool.end(),
    };
  }
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  if (options.create) await pool.query(`create table if not exists ${table} (id bigint primary key, status text not null, total_cents bigint not null, email text not null)`);
  const select = async (where: string, params: unknown[]): Promise<Order[]> => (await pool.query<Row>(`select ${COLUMNS} from ${table}${where}`, params)).rows.map(toOrder);
  return {
    get: async (id) => (await select(' where id = $1', [id]))[0] ?? null,
    getMany: (ids) => select(' where id = any($1::bigint[])', [ids.map(String)]),
    all: () => select('', []),
    async put(o) {
      await pool.query(
        `insert into ${table} (${COLUMNS}) values ($1, $2, $3, $4)
         on conflict (id) do update set status = excluded.status, total_cents = excluded.total_cents, email = excluded.email`,
        [o.id, o.status, o.total, o.email],
      );
    },
    close: () => pool.end(),
  };
}
