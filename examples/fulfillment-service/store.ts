/**
 * The reference service's own storage: one `items` table in its own PostgreSQL schema. Every batch
 * is one statement (jsonb_to_recordset + ON CONFLICT) so that the service is never the bottleneck of
 * a backfill benchmark.
 *
 * `data` is `json` rather than `jsonb`, so an item comes back exactly as it was sent (key order,
 * number text); `key_values` is jsonb for ordering.
 *
 * Identity is `key`, the canonical key text (each key value stringified and URL-encoded, joined by
 * ","), which is also what a single-item path carries; `key_values` keeps the typed values as jsonb
 * so listing can follow the natural order of the key (2 before 10) through its own index.
 */
import pg from 'pg';
import { parseJsonExact, stringifyJsonExact } from '../../src/values/json.js';

// Items are stored as `json`, which keeps the text as received (key order, every digit, trailing
// zeros), and read back with every digit: a faithful service, so verification sees what was sent.
const exactJson: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 114 && (format === undefined || format === 'text') ? (text: string) => parseJsonExact(text, 'last') : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export interface StoredRow {
  key: string;
  keyValues: unknown[];
  data: Record<string, unknown>;
}

/** One entry of the change feed: the item's current state, or a tombstone when it was deleted. */
export interface ChangeRow {
  key: string;
  keyValues: unknown[];
  /** Absent for a tombstone. */
  data?: Record<string, unknown>;
  deleted: boolean;
  /** ISO 8601 UTC with microseconds (`2026-12-03T07:00:00.123456Z`): fixed width, so text order is time order. */
  updatedAt: string;
  /** The `Tracer-Origin` header of the write that made this state; absent for other writers. */
  origin?: string;
}

export interface UpsertOutcome {
  key: string;
  created: boolean;
}

export interface ItemStore {
  /** Create the schema and table when missing. */
  init(): Promise<void>;
  /** Upsert rows (unique keys) in one statement; reports which keys were created. Unchanged content is a no-op. */
  upsert(collection: string, rows: readonly StoredRow[], origin?: string): Promise<Map<string, UpsertOutcome>>;
  /** Items stored under these canonical keys, by key. */
  get(collection: string, keys: readonly string[]): Promise<Map<string, Record<string, unknown>>>;
  /** One page in key order after `after` (typed key values); `limit` rows at most. */
  page(collection: string, after: unknown[] | undefined, limit: number): Promise<StoredRow[]>;
  /** True when a row was deleted; a deleted row leaves a tombstone the change feed reports. */
  delete(collection: string, key: string, origin?: string): Promise<boolean>;
  /**
   * Items and tombstones changed after `(since, afterKey)` in (updatedAt, key) order — without
   * `afterKey`, everything at `since` or later. `limit` rows at most.
   */
  changes(collection: string, since: string, afterKey: string | undefined, limit: number): Promise<ChangeRow[]>;
  count(collection: string): Promise<number>;
  close(): Promise<void>;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A PostgreSQL-backed store in `schema` of `databaseUrl`; call `init` before use. */
export function createItemStore(databaseUrl: string, schema: string, poolSize = 8): ItemStore {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, types: exactJson });
  // An idle client losing its connection must not crash the service process.
  pool.on('error', () => undefined);
  const table = `${quoteIdent(schema)}.items`;
  const tombstones = `${quoteIdent(schema)}.tombstones`;
  const iso = (col: string) => `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

  return {
    async init() {
      const client = await pool.connect();
      try {
        // Two services starting on one database race on CREATE SCHEMA; the advisory lock orders them.
        await client.query('begin');
        await client.query('select pg_advisory_xact_lock(hashtext($1))', [`fulfillment-init:${schema}`]);
        await client.query(`create schema if not exists ${quoteIdent(schema)}`);
        await client.query(
          `create table if not exists ${table} (
             collection text not null,
             key text not null,
             key_values jsonb not null,
             data json not null,
             version int not null default 1,
             updated_at timestamptz not null default now(),
             primary key (collection, key))`,
        );
        await client.query(`create index if not exists items_key_order on ${table} (collection, key_values)`);
        // The change feed: who wrote the current state, and what was deleted when.
        await client.query(`alter table ${table} add column if not exists origin text`);
        await client.query(`create index if not exists items_changes on ${table} (collection, updated_at, key collate "C")`);
        await client.query(
          `create table if not exists ${tombstones} (
             collection text not null,
             key text not null,
             key_values jsonb not null,
             deleted_at timestamptz not null default clock_timestamp(),
             origin text,
             primary key (collection, key))`,
        );
        await client.query('commit');
      } catch (e) {
        await client.query('rollback').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },

    async upsert(collection, rows, origin) {
      const out = new Map<string, UpsertOutcome>();
      if (rows.length === 0) return out;
      const payload = stringifyJsonExact(rows.map((r) => ({ key: r.key, key_values: r.keyValues, data: r.data })));
      // Sorting by key gives concurrent overlapping batches one lock order, so they cannot deadlock.
      // clock_timestamp(), not now(): the feed orders by it, and a long transaction's start time
      // would place its changes far behind what readers have already passed.
      const res = await pool.query<{ key: string; inserted: boolean }>(
        `with written as (
           insert into ${table} as t (collection, key, key_values, data, origin, updated_at)
             select $1, r.key, r.key_values, r.data, $3, clock_timestamp()
               from json_to_recordset($2::json) as r(key text, key_values jsonb, data json)
              order by r.key
           on conflict (collection, key) do update
             set data = excluded.data, key_values = excluded.key_values,
                 version = t.version + 1, updated_at = clock_timestamp(), origin = excluded.origin
             where t.data::text is distinct from excluded.data::text
           returning t.key, (t.xmax = 0) as inserted),
         revived as (delete from ${tombstones} d using written w where d.collection = $1 and d.key = w.key)
         select key, inserted from written`,
        [collection, payload, origin ?? null],
      );
      for (const r of res.rows) out.set(r.key, { key: r.key, created: r.inserted });
      return out;
    },

    async get(collection, keys) {
      const out = new Map<string, Record<string, unknown>>();
      if (keys.length === 0) return out;
      const res = await pool.query<{ key: string; data: Record<string, unknown> }>(
        `select key, data from ${table} where collection = $1 and key = any($2::text[])`,
        [collection, keys],
      );
      for (const r of res.rows) out.set(r.key, r.data);
      return out;
    },

    async page(collection, after, limit) {
      const res = after
        ? await pool.query<{ key: string; key_values: unknown[]; data: Record<string, unknown> }>(
            `select key, key_values, data from ${table}
              where collection = $1 and key_values > $2::jsonb order by key_values limit $3`,
            [collection, JSON.stringify(after), limit],
          )
        : await pool.query<{ key: string; key_values: unknown[]; data: Record<string, unknown> }>(
            `select key, key_values, data from ${table} where collection = $1 order by key_values limit $2`,
            [collection, limit],
          );
      return res.rows.map((r) => ({ key: r.key, keyValues: r.key_values, data: r.data }));
    },

    async delete(collection, key, origin) {
      const res = await pool.query(
        `with gone as (delete from ${table} where collection = $1 and key = $2 returning collection, key, key_values)
         insert into ${tombstones} as t (collection, key, key_values, origin)
           select collection, key, key_values, $3 from gone
         on conflict (collection, key) do update set deleted_at = clock_timestamp(), origin = excluded.origin, key_values = excluded.key_values`,
        [collection, key, origin ?? null],
      );
      return (res.rowCount ?? 0) > 0;
    },

    async changes(collection, since, afterKey, limit) {
      // Both sides order by (time, key in byte order); a tie on time pages by key.
      const res = await pool.query<{ key: string; key_values: unknown[]; data: Record<string, unknown> | null; deleted: boolean; at: string; origin: string | null }>(
        `select key, key_values, data, deleted, ${iso('t')} as at, origin from (
           select key, key collate "C" as k, key_values, data, false as deleted, updated_at as t, origin from ${table} where collection = $1
           union all
           select key, key collate "C", key_values, null, true, deleted_at, origin from ${tombstones} where collection = $1
         ) c
         where t > $2::timestamptz or (t = $2::timestamptz and ($3::text is null or k > $3::text collate "C"))
         order by t, k
         limit $4`,
        [collection, since, afterKey ?? null, limit],
      );
      return res.rows.map((r) => ({
        key: r.key,
        keyValues: r.key_values,
        ...(r.data === null ? {} : { data: r.data }),
        deleted: r.deleted,
        updatedAt: r.at,
        ...(r.origin === null ? {} : { origin: r.origin }),
      }));
    },

    async count(collection) {
      const res = await pool.query<{ n: string }>(`select count(*) as n from ${table} where collection = $1`, [collection]);
      return Number(res.rows[0]?.n ?? 0);
    },

    async close() {
      await pool.end();
    },
  };
}
