/**
 * The captured changes of one legacy table (see captureSql.ts): install and remove capture, read the
 * oldest changes, acknowledge the ones the service has accepted, measure lag.
 *
 * Acknowledging deletes exactly the positions that were read, never a range: a transaction that
 * took position 10 but committed after 11 was read is still in the table and is read next time.
 */
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { EnvironmentError } from '../errors.js';
import type { SourceConfig } from '../plan/schema.js';
import { quoteIdent, quoteTable, type DialectName } from '../sources/quote.js';
import type { KeyTuple } from '../sources/types.js';
import { keyTupleOf } from '../sources/values.js';
import { lazyPool } from '../sources/lazyPool.js';
import { CHANGE_COLUMNS, captureObjects, installStatements, uninstallStatements, type ChangeOp } from './captureSql.js';

export interface Change {
  /** Position in the change table; increases with capture order (not necessarily commit order). */
  position: string;
  op: ChangeOp;
  key: KeyTuple;
}

export interface CaptureState {
  /** Every object capture needs exists. */
  installed: boolean;
  /** Some but not all exist: a failed install or a hand edit; uninstall cleans up. */
  partial: boolean;
  present: string[];
  missing: string[];
}

export interface ChangeLag {
  /** Changes captured and not yet acknowledged. */
  pending: number;
  /** Age of the oldest of them in seconds; 0 when none. */
  oldestSeconds: number;
}

/** SQL access to the legacy database; one implementation per driver. */
export interface Sql {
  readonly dialect: DialectName;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs the statements atomically where the database allows (PostgreSQL DDL is transactional, MySQL's is not). */
  runAll(statements: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

function postgresSql(url: string, poolSize: number): Sql {
  const lazy = lazyPool(async () => (await import('../sources/postgres.js')).createPostgresPool(url, poolSize));
  return {
    dialect: 'postgres',
    async query<T>(sql: string, params: unknown[] = []) {
      return (await (await lazy.get()).query(sql, params)).rows as T[];
    },
    async runAll(statements) {
      const client = await (await lazy.get()).connect();
      try {
        await client.query('BEGIN');
        for (const s of statements) await client.query(s);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => lazy.end(),
  };
}

function mysqlSql(url: string, poolSize: number): Sql {
  const lazy = lazyPool<mysql.Pool>(async () => (await import('../sources/mysql.js')).createMysqlPool(url, poolSize));
  return {
    dialect: 'mysql',
    async query<T>(sql: string, params: unknown[] = []) {
      const [rows] = await (await lazy.get()).query(sql, params);
      return rows as T[];
    },
    async runAll(statements) {
      const pool = await lazy.get();
      for (const s of statements) await pool.query(s);
    },
    close: () => lazy.end(),
  };
}

/** One table's change capture. Create with `openChangeLog`; `close()` ends its pool. */
export class ChangeLog {
  private readonly objects;
  private readonly changes: string;

  constructor(
    private readonly sql: Sql,
    private readonly source: Pick<SourceConfig, 'schema' | 'table' | 'key'>,
  ) {
    this.objects = captureObjects(sql.dialect, source);
    this.changes = quoteTable(sql.dialect, this.objects.changeTable);
  }

  get dialect(): DialectName {
    return this.sql.dialect;
  }

  /** The statements `install()` runs, for a dry run. */
  installPlan(): string[] {
    return installStatements(this.sql.dialect, this.source);
  }

  /** The statements `uninstall()` runs, for a dry run. */
  uninstallPlan(): string[] {
    return uninstallStatements(this.sql.dialect, this.source);
  }

  /** What capture objects exist in the legacy database now. */
  async state(): Promise<CaptureState> {
    const wanted = [`table ${this.objects.changeTable.table}`, ...(this.objects.function ? [`function ${this.objects.function}`] : []), ...this.objects.triggers.map((t) => `trigger ${t}`)];
    const present = new Set<string>();
    if (this.sql.dialect === 'postgres') {
      const schema = this.source.schema ?? null;
      const rows = await this.sql.query<{ kind: string; name: string }>(
        `SELECT 'table' AS kind, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relname = $1 AND n.nspname = coalesce($4, current_schema())
         UNION ALL SELECT 'function', p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE p.proname = $2 AND n.nspname = coalesce($4, current_schema())
         UNION ALL SELECT 'trigger', t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE t.tgname = $3 AND c.relname = $5 AND n.nspname = coalesce($4, current_schema())`,
        [this.objects.changeTable.table, this.objects.function, this.objects.triggers[0], schema, this.source.table],
      );
      for (const r of rows) present.add(`${r.kind} ${r.name}`);
    } else {
      const schema = this.source.schema ?? null;
      const rows = await this.sql.query<{ kind: string; name: string }>(
        `SELECT 'table' AS kind, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?
         UNION ALL SELECT 'trigger', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = COALESCE(?, DATABASE()) AND TRIGGER_NAME IN (?)`,
        [schema, this.objects.changeTable.table, schema, this.objects.triggers],
      );
      for (const r of rows) present.add(`${r.kind} ${r.name}`);
    }
    const missing = wanted.filter((w) => !present.has(w));
    return { installed: missing.length === 0, partial: missing.length > 0 && present.size > 0, present: [...present].sort(), missing };
  }

  /** Installs capture; on MySQL, where DDL cannot roll back, a failure removes what was created. */
  async install(): Promise<void> {
    try {
      await this.sql.runAll(this.installPlan());
    } catch (e) {
      if (this.sql.dialect === 'mysql') await this.sql.runAll(this.uninstallPlan()).catch(() => undefined);
      throw new EnvironmentError(`could not install change capture on ${this.source.table}: ${(e as Error).message}`, {
        hint: 'The database user needs the right to create tables and triggers (MySQL: TRIGGER, and SUPER or log_bin_trust_function_creators=1 when binary logging is on); or use `capture: updatedAt`.',
        cause: e,
      });
    }
  }

  /** Removes the triggers, the function and the change table (with any unsent changes). */
  async uninstall(): Promise<void> {
    await this.sql.runAll(this.uninstallPlan());
  }

  /** The oldest unacknowledged changes in position order, at most `limit`. */
  async read(limit: number): Promise<Change[]> {
    const q = (n: string) => quoteIdent(this.sql.dialect, n);
    const cols = this.source.key.map(q).join(', ');
    const sql = `SELECT ${q(CHANGE_COLUMNS.position)} AS p, ${q(CHANGE_COLUMNS.op)} AS o, ${cols} FROM ${this.changes} ORDER BY ${q(CHANGE_COLUMNS.position)} LIMIT ${Math.max(1, Math.floor(limit))}`;
    const rows = await this.sql.query<Record<string, unknown>>(sql);
    return rows.map((r) => ({ position: String(r.p), op: String(r.o) as ChangeOp, key: keyTupleOf(this.source.key, r) }));
  }

  /** Deletes exactly these positions (see the file comment for why not a range). */
  async acknowledge(positions: readonly string[]): Promise<void> {
    if (positions.length === 0) return;
    const q = quoteIdent(this.sql.dialect, CHANGE_COLUMNS.position);
    const marks = this.sql.dialect === 'postgres' ? positions.map((_, i) => `$${i + 1}`).join(', ') : positions.map(() => '?').join(', ');
    await this.sql.query(`DELETE FROM ${this.changes} WHERE ${q} IN (${marks})`, [...positions]);
  }

  /** How many changes wait and how old the oldest is, by the database's own clock. */
  async lag(): Promise<ChangeLag> {
    const at = quoteIdent(this.sql.dialect, CHANGE_COLUMNS.at);
    const sql =
      this.sql.dialect === 'postgres'
        ? `SELECT count(*)::int AS n, coalesce(extract(epoch FROM clock_timestamp() - min(${at})), 0)::float8 AS s FROM ${this.changes}`
        : `SELECT COUNT(*) AS n, COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(${at}), CURRENT_TIMESTAMP(6)), 0) / 1000000 AS s FROM ${this.changes}`;
    const [row] = await this.sql.query<{ n: number | string; s: number | string }>(sql);
    return { pending: Number(row?.n ?? 0), oldestSeconds: Math.max(0, Number(row?.s ?? 0)) };
  }

  /**
   * The highest position captured and not yet acknowledged, or undefined when nothing waits. Taken
   * by the write switch once writes are fenced and drained: every change up to it must reach the service.
   */
  async head(): Promise<string | undefined> {
    const p = quoteIdent(this.sql.dialect, CHANGE_COLUMNS.position);
    const [row] = await this.sql.query<{ p: string | number | null }>(`SELECT MAX(${p}) AS p FROM ${this.changes}`);
    return row?.p === null || row?.p === undefined ? undefined : String(row.p);
  }

  /** How many changes at or before `position` are not yet acknowledged (0: forward sync has reached it). */
  async pendingUpTo(position: string): Promise<number> {
    const p = quoteIdent(this.sql.dialect, CHANGE_COLUMNS.position);
    const mark = this.sql.dialect === 'postgres' ? '$1' : '?';
    const [row] = await this.sql.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${this.changes} WHERE ${p} <= ${mark}`, [position]);
    return Number(row?.n ?? 0);
  }

  async close(): Promise<void> {
    await this.sql.close();
  }
}

/** SQL access to the legacy database behind `url` (postgres:// or mysql://), with its own small pool (UTC sessions, as the sources). */
export function openLegacySql(url: string, poolSize = 2): Sql {
  return /^(postgres|postgresql):/i.test(url) ? postgresSql(url, poolSize) : mysqlSql(url, poolSize);
}

/** A ChangeLog for the source table behind `url`, with its own small pool. */
export function openChangeLog(url: string, source: Pick<SourceConfig, 'schema' | 'table' | 'key'>, poolSize = 2): ChangeLog {
  return new ChangeLog(openLegacySql(url, poolSize), source);
}
