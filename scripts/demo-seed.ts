/**
 * The demo's databases (plans/demo.yaml), recreated on every run so a second run starts the same
 * lifecycle from the same place: the legacy `orders` table of the sample consumer apps
 * (examples/orders-consumer/legacy.ts's shape), the reference service's store, and the plan's state
 * store — flags, routing epochs, consumer acknowledgements and reports of an earlier run would
 * otherwise be evidence for this one.
 */
import pg from 'pg';

const ADMIN = process.env.DEMO_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const DEMO_DATABASES = { legacy: 'tracer_demo_legacy', service: 'tracer_demo_service', state: 'tracer_demo_state' } as const;

/** `postgres://…/<db>` on the admin URL's server. */
export const demoDatabaseUrl = (db: string): string => ADMIN.replace(/\/[^/]*$/, `/${db}`);

async function recreate(db: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  try {
    await c.query(`drop database if exists "${db}" with (force)`);
    await c.query(`create database "${db}"`);
  } finally {
    await c.end();
  }
}

/**
 * Recreates the three databases and fills `orders` with ids 1..count, status `paid` — what the
 * history checker reads as version 0, the value before any consumer wrote.
 */
export async function seedDemo(orders: number): Promise<void> {
  for (const db of Object.values(DEMO_DATABASES)) await recreate(db);
  const c = new pg.Client({ connectionString: demoDatabaseUrl(DEMO_DATABASES.legacy) });
  await c.connect();
  try {
    await c.query('create table orders (id bigint primary key, status text not null, total_cents bigint not null, email text not null)');
    await c.query(`insert into orders select g, 'paid', 500 + (g * 37) % 100000, 'customer' || g || '@example.com' from generate_series(1, $1) g`, [orders]);
    await c.query('analyze orders');
  } finally {
    await c.end();
  }
}
