/**
 * Reverse sync's writes into the legacy table: upserts of whole rows (the columns the inverted map
 * writes) and deletes by key, in one transaction that sets the session marker the capture triggers
 * skip (captureSql.ts ORIGIN_MARKER), so nothing written here is captured and sent back to the
 * service. PostgreSQL's marker is transaction-local; MySQL's user variable is cleared before the
 * connection returns to the pool.
 */
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { ORIGIN_MARKER } from '../capture/captureSql.js';
import type { SourceConfig } from '../plan/schema.js';
import { lazyPool, type LazyPool } from '../sources/lazyPool.js';
import { quoteIdent, quoteTable, type DialectName } from '../sources/quote.js';
import type { KeyTuple, SourceRow } from '../sources/types.js';

export interface LegacyApply {
  /** Rows written whole (key columns included); a key appears at most once across both lists. */
  upserts: readonly SourceRow[];
  deletes: readonly KeyTuple[];
}

export interface LegacyApplied {
  /** Rows inserted or changed (PostgreSQL); rows sent (MySQL, whose count includes unchanged rows). */
  upserted: number;
  /** Rows that were there and are gone. */
  deleted: number;
}

export interface LegacyWriter {
  readonly dialect: DialectName;
  /** Applies everything in one transaction tagged with the no-capture marker; all or nothing. */
  apply(batch: LegacyApply): Promise<LegacyApplied>;
  close(): Promise<void>;
}

/** The statements of one batch, with their parameters; pure, for the writer and its tests. */
export function applyStatements(dialect: DialectName, source: Pick<SourceConfig, 'schema' | 'table' | 'key'>, columns: readonly string[], batch: LegacyApply): { sql: string; params: unknown[]; kind: 'upsert' | 'delete' }[] {
  const q = (n: string) => quoteIdent(dialect, n);
  const table = quoteTable(dialect, source);
  const out: { sql: string; params: unknown[]; kind: 'upsert' | 'delete' }[] = [];
  const mark = (i: number) => (dialect === 'postgres' ? `$${i}` : '?');
  if (batch.upserts.length > 0) {
    const params: unknown[] = [];
    const tuples = batch.upserts.map((row) => `(${columns.map((c) => (params.push(row[c] ?? null), mark(params.length))).join(', ')})`);
    const cols = columns.map(q).join(', ');
    const nonKey = columns.filter((c) => !source.key.includes(c));
    let sql: string;
    if (dialect === 'postgres') {
      // Unchanged rows are not rewritten: the overlap re-reads recent changes, and a no-op must stay one.
      const set = nonKey.map((c) => `${q(c)} = EXCLUDED.${q(c)}`).join(', ');
      const differs = nonKey.length === 0 ? 'false' : `(${nonKey.map((c) => `t.${q(c)}`).join(', ')}) IS DISTINCT FROM (${nonKey.map((c) => `EXCLUDED.${q(c)}`).join(', ')})`;
      sql = `INSERT INTO ${table} AS t (${cols}) VALUES ${tuples.join(', ')} ON CONFLICT (${source.key.map(q).join(', ')}) ${nonKey.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${set} WHERE ${differs}`}`;
    } else {
      const set = (nonKey.length === 0 ? [source.key[0]!] : nonKey).map((c) => `${q(c)} = VALUES(${q(c)})`).join(', ');
      sql = `INSERT INTO ${table} (${cols}) VALUES ${tuples.join(', ')} ON DUPLICATE KEY UPDATE ${set}`;
    }
    out.push({ sql, params, kind: 'upsert' });
  }
  if (batch.deletes.length > 0) {
    const params: unknown[] = [];
    const keyCols = source.key.map(q);
    const where =
      source.key.length === 1
        ? `${keyCols[0]} IN (${batch.deletes.map((k) => (params.push(k[0]), mark(params.length))).join(', ')})`
        : batch.deletes.map((k) => `(${keyCols.map((c, i) => (params.push(k[i]), `${c} = ${mark(params.length)}`)).join(' AND ')})`).join(' OR ');
    out.push({ sql: `DELETE FROM ${table} WHERE ${where}`, params, kind: 'delete' });
  }
  return out;
}

/** A writer for `source`'s table behind `url` (postgres:// or mysql://), with its own small pool. */
export function openLegacyWriter(url: string, source: Pick<SourceConfig, 'schema' | 'table' | 'key'>, columns: readonly string[], poolSize = 2): LegacyWriter {
  // The driver is imported at the first write (src/sources/lazyPool.ts).
  if (/^(postgres|postgresql):/i.test(url)) return postgresWriter(lazyPool(async () => (await import('../sources/postgres.js')).createPostgresPool(url, poolSize)), source, columns);
  return mysqlWriter(lazyPool<mysql.Pool>(async () => (await import('../sources/mysql.js')).createMysqlPool(url, poolSize)), source, columns);
}

function postgresWriter(pool: LazyPool<pg.Pool>, source: Pick<SourceConfig, 'schema' | 'table' | 'key'>, columns: readonly string[]): LegacyWriter {
  return {
    dialect: 'postgres',
    async apply(batch) {
      const out: LegacyApplied = { upserted: 0, deleted: 0 };
      const client = await (await pool.get()).connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT set_config('${ORIGIN_MARKER.postgres}', '${ORIGIN_MARKER.value}', true)`);
        for (const s of applyStatements('postgres', source, columns, batch)) {
          const r = await client.query(s.sql, s.params);
          out[s.kind === 'upsert' ? 'upserted' : 'deleted'] += r.rowCount ?? 0;
        }
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

function mysqlWriter(pool: LazyPool<mysql.Pool>, source: Pick<SourceConfig, 'schema' | 'table' | 'key'>, columns: readonly string[]): LegacyWriter {
  return {
    dialect: 'mysql',
    async apply(batch) {
      const out: LegacyApplied = { upserted: 0, deleted: 0 };
      const conn = await (await pool.get()).getConnection();
      try {
        await conn.query(`SET ${ORIGIN_MARKER.mysql} = '${ORIGIN_MARKER.value}'`);
        await conn.beginTransaction();
        for (const s of applyStatements('mysql', source, columns, batch)) {
          const [r] = await conn.query(s.sql, s.params);
          const affected = (r as { affectedRows?: number }).affectedRows ?? 0;
          if (s.kind === 'upsert') out.upserted += batch.upserts.length;
          else out.deleted += affected;
        }
        await conn.commit();
        return out;
      } catch (e) {
        await conn.rollback().catch(() => undefined);
        throw e;
      } finally {
        // The variable outlives the transaction on this connection: clear it before anyone else uses it.
        await conn.query(`SET ${ORIGIN_MARKER.mysql} = NULL`).catch(() => undefined);
        conn.release();
      }
    },
    close: () => pool.end(),
  };
}
