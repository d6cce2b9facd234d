/**
 * The demo's sample legacy database: `customers` and `orders` in PostgreSQL database `tracer_demo`,
 * shaped as plans/orders-postgres.yaml expects, recreated on every run so the demo is repeatable.
 */
import pg from 'pg';

const ADMIN = process.env.DEMO_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function recreate(db: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  await c.query(`drop database if exists "${db}" with (force)`);
  await c.query(`create database "${db}"`);
  await c.end();
}

async function ensure(db: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  const { rowCount } = await c.query('select 1 from pg_database where datname = $1', [db]);
  if (!rowCount) await c.query(`create database "${db}"`);
  await c.end();
}

/** Recreates the legacy and service databases, keeps the state store (its audit log is history). */
export async function seedDemo(customers: number, orders: number): Promise<void> {
  await recreate('tracer_demo');
  await recreate('tracer_fulfillment');
  await ensure('tracer_state');
  const c = new pg.Client({ connectionString: ADMIN.replace(/\/[^/]*$/, '/tracer_demo') });
  await c.connect();
  await c.query(`create table customers (
    id bigint primary key, email text not null, full_name text not null, tier char(1),
    created_at timestamptz not null, updated_at timestamptz not null)`);
  await c.query(`create table orders (
    id bigint primary key, customer_id bigint not null references customers(id), total_cents bigint not null,
    currency char(3), status text not null, placed_at timestamptz not null, updated_at timestamptz not null,
    deleted_at timestamptz, internal_note text)`);
  await c.query(
    `insert into customers select g, 'customer' || g || '@example.com', 'Customer ' || g,
       (array['G','S','B', null])[1 + g % 4], timestamptz '2023-01-01' + g * interval '1 hour', now()
     from generate_series(1, $1) g`,
    [customers],
  );
  await c.query(
    `insert into orders select g, 1 + g % $2, 500 + (g * 37) % 100000, (array['EUR','USD', null])[1 + g % 3],
       (array['NEW','PAID','SHIPPED','CANCELLED'])[1 + g % 4], timestamptz '2024-01-01' + g * interval '1 minute', now(),
       case when g % 50 = 0 then now() end, 'internal note ' || g
     from generate_series(1, $1) g`,
    [orders, customers],
  );
  await c.query('analyze');
  await c.end();
}
