/**
 * Everything that differs between PostgreSQL and MySQL/MariaDB in the state store, and nothing else:
 * the pool, the clock, how JSON comes back, which column identifies a source key, upserts, sort
 * order of key text, column types for migrations and the schema-migration lock. The store's methods
 * (`store.ts` and the `*-store.ts`/`*-log.ts` files) and the migrations are written once against this.
 */
import type { ColumnDefinitionBuilder, CreateTableBuilder, Expression, InsertQueryBuilder, InsertResult, PostgresPool, RawBuilder } from 'kysely';
import { Kysely, MysqlAdapter, MysqlDialect, PostgresAdapter, PostgresDialect, sql } from './kysely.js';
import type { Pool as MysqlPool } from 'mysql2';
import { keyHash } from './common.js';
import { withPreparedStatements } from './preparedStatements.js';
import type { Database } from './schema.js';

export type DialectName = 'postgres' | 'mysql';
// Loose on purpose: migrations run against any schema version, not today's `Database`.
type AnyDb = Kysely<any>;
export type ColumnType = Parameters<CreateTableBuilder<string, string>['addColumn']>[1];
type Upsert<TB extends keyof Database> = InsertQueryBuilder<Database, TB, InsertResult>;

/** Seconds a starting process waits for another one's schema migration before it gives up. */
export const MIGRATION_LOCK_TIMEOUT_S = 60;

/** Thrown when another process held the schema-migration lock for longer than the timeout. */
export class MigrationLockTimeout extends Error {
  constructor() {
    super(`another process held the schema migration lock for more than ${MIGRATION_LOCK_TIMEOUT_S}s`);
  }
}

/** Column types and the few DDL statements that are spelled differently. */
export interface Ddl {
  /** `create table if not exists`, with MySQL's engine and collation. */
  createTable(db: AnyDb, table: string): CreateTableBuilder<string, string>;
  /** Plan, entity and run names: indexed, case-sensitive. */
  readonly name: ColumnType;
  /** A bounded label (flag name, actor, action): `varchar(n)` on MySQL, `text` on PostgreSQL. */
  label(length: number): ColumnType;
  readonly json: ColumnType;
  readonly time: ColumnType;
  /** Default for time columns: PostgreSQL fills them (the pre-kysely workers insert without them). */
  defaultNow(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  readonly autoIdType: ColumnType;
  autoId(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** Which key column the primary key of a keyed table holds: see `Dialect.keyIdentity`. */
  readonly keyIdentity: 'key_text' | 'key_hash';
  /** Adds the source-key columns (`key_text`, and on MySQL `key_hash`) to a keyed table. */
  keyColumns(table: CreateTableBuilder<string, string>): CreateTableBuilder<string, string>;
  /** The integer before the first `_` of a migration name, as a generated-column expression. */
  readonly versionOfName: Expression<number>;
  /** Creates an index unless one of that name exists (MySQL has no `create index if not exists`). */
  createIndex(db: AnyDb, index: string, table: string, columns: string[]): Promise<void>;
  /** Expression naming the current schema, for information_schema look-ups. */
  readonly currentSchema: RawBuilder<string>;
}

export interface Dialect {
  readonly name: DialectName;
  /** A kysely instance over a new pool; nothing connects before the first query. */
  connect(url: string, poolSize: number): Kysely<Database>;
  /** The database's clock, so several workers agree on times. */
  readonly now: RawBuilder<Date>;
  /** A JSON column's value as stored (parsed by pg for jsonb, text from mysql2) → the value. */
  readJson<T>(stored: unknown): T;
  /**
   * The column that identifies a source key in keyed tables. PostgreSQL indexes `key_text`; InnoDB
   * cannot index unbounded text, so MySQL indexes its SHA-256 `key_hash` and keeps the text beside it.
   */
  readonly keyIdentity: 'key_text' | 'key_hash';
  /** The column values that store the key whose canonical text is `text`. */
  keyColumns(text: string): { key_text: string; key_hash?: Buffer };
  /** The value of `keyIdentity` for a key text. */
  keyIdentityOf(text: string): string | Buffer;
  /** Opaque page cursor ↔ `keyIdentity` value. */
  cursorOf(identity: unknown): string;
  identityOfCursor(cursor: string): string | Buffer;
  /** A text column ordered by code point on both engines (utf8mb4_bin on MySQL, collate "C" on PostgreSQL). */
  binaryOrder(column: string): Expression<string>;
  /**
   * Insert-or-update on the primary key `conflict`: each of `replace` takes the inserted row's value,
   * each of `set` the given expression (which may read the existing row as `<table>.<column>`).
   */
  upsert<TB extends keyof Database>(
    insert: Upsert<TB>,
    conflict: readonly string[],
    replace: readonly string[],
    set?: Record<string, Expression<unknown>>,
  ): Upsert<TB>;
  /**
   * Whether an insert may run inside the WITH of a select, so a write and a read share one round
   * trip (PostgreSQL); MySQL and MariaDB have no data-modifying common table expressions.
   */
  readonly writesInWith: boolean;
  readonly ddl: Ddl;
}

const passThrough = <T>(stored: unknown): T => stored as T;

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** An arbitrary constant ("migrate" in ASCII), the key the pre-kysely workers locked too, so old and new never migrate at once. */
const PG_LOCK_KEY = '30792318992869477';

/** kysely's PostgreSQL adapter with Tracer's lock key and timeout instead of kysely's (one hour). */
class PgStoreAdapter extends PostgresAdapter {
  override async acquireMigrationLock(db: AnyDb): Promise<void> {
    try {
      await sql`with t as (select set_config('lock_timeout', ${sql.lit(String(MIGRATION_LOCK_TIMEOUT_S * 1000))}, true))
        select pg_advisory_lock(${sql.lit(PG_LOCK_KEY)}) from t`.execute(db);
    } catch (e) {
      // 55P03 lock_not_available: lock_timeout expired.
      throw (e as { code?: string }).code === '55P03' ? new MigrationLockTimeout() : e;
    }
  }
  override async releaseMigrationLock(db: AnyDb): Promise<void> {
    await sql`select pg_advisory_unlock(${sql.lit(PG_LOCK_KEY)})`.execute(db);
  }
}

class PgStoreDialect extends PostgresDialect {
  override createAdapter(): PostgresAdapter {
    return new PgStoreAdapter();
  }
}

export const postgres: Dialect = {
  name: 'postgres',
  connect(url, poolSize) {
    // The driver is imported at the first query: a store on PostgreSQL never loads mysql2, and a
    // command that never reads the store (`--help`) loads neither.
    const pool = async (): Promise<PostgresPool> => {
      const { default: driver } = await import('pg');
      const p = new driver.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
      // An idle client whose server went away emits here; without a listener that crashes the process.
      p.on('error', () => undefined);
      return withPreparedStatements(p);
    };
    return new Kysely<Database>({ dialect: new PgStoreDialect({ pool }) });
  },
  now: sql<Date>`now()`,
  writesInWith: true,
  readJson: passThrough,
  keyIdentity: 'key_text',
  keyColumns: (text) => ({ key_text: text }),
  keyIdentityOf: (text) => text,
  cursorOf: (identity) => String(identity),
  identityOfCursor: (cursor) => cursor,
  binaryOrder: (column) => sql<string>`${sql.ref(column)} collate "C"`,
  upsert(insert, conflict, replace, set = {}) {
    const updates: Record<string, Expression<unknown>> = { ...set };
    for (const c of replace) updates[c] = sql.ref(`excluded.${c}`);
    return insert.onConflict((oc) => oc.columns(conflict as never).doUpdateSet(updates as never));
  },
  ddl: {
    createTable: (db, table) => db.schema.createTable(table).ifNotExists(),
    name: 'text',
    label: () => 'text',
    json: 'jsonb',
    time: 'timestamptz',
    defaultNow: (col) => col.defaultTo(sql`now()`),
    autoIdType: 'bigserial',
    autoId: (col) => col.primaryKey(),
    keyIdentity: 'key_text',
    keyColumns: (table) => table.addColumn('key_text', 'text', (c) => c.notNull()),
    versionOfName: sql<number>`cast(split_part(name, '_', 1) as integer)`,
    async createIndex(db, index, table, columns) {
      await db.schema.createIndex(index).ifNotExists().on(table).columns(columns).execute();
    },
    currentSchema: sql<string>`current_schema()`,
  },
};

// ---------------------------------------------------------------------------------------------
// MySQL / MariaDB

/**
 * GET_LOCK is server-wide, so the name carries the database: stores in two databases of one server
 * do not wait on each other. The same name the pre-kysely workers used.
 */
const MYSQL_LOCK_NAME = sql`left(concat('migrate_schema.', coalesce(database(), '')), 64)`;

/** kysely's MySQL adapter with a per-database lock and a timeout that fails instead of proceeding unlocked. */
class MysqlStoreAdapter extends MysqlAdapter {
  override async acquireMigrationLock(db: AnyDb): Promise<void> {
    const { rows } = await sql<{ ok: number | null }>`select get_lock(${MYSQL_LOCK_NAME}, ${sql.lit(MIGRATION_LOCK_TIMEOUT_S)}) as ok`.execute(db);
    if (rows[0]?.ok !== 1) throw new MigrationLockTimeout();
  }
  override async releaseMigrationLock(db: AnyDb): Promise<void> {
    await sql`select release_lock(${MYSQL_LOCK_NAME})`.execute(db);
  }
}

class MysqlStoreDialect extends MysqlDialect {
  override createAdapter(): MysqlAdapter {
    return new MysqlStoreAdapter();
  }
}

/** Names are short utf8mb4_bin VARCHARs: case-sensitive as on PostgreSQL, and composite indexes stay under InnoDB's 3072 bytes. */
const MYSQL_NAME = sql`varchar(100) character set utf8mb4 collate utf8mb4_bin`;

export const mysql: Dialect = {
  name: 'mysql',
  connect(url, poolSize) {
    // Imported at the first query, as on PostgreSQL.
    const pool = async (): Promise<MysqlPool> => {
      const { createPool } = await import('mysql2');
      const p = createPool({
        // The URL goes to mysql2 as it is, as for source pools; mariadb:// means the same protocol.
        uri: url.replace(/^mariadb:/i, 'mysql:'),
        connectionLimit: poolSize,
        connectTimeout: 10_000,
        // DATETIME columns hold UTC; with 'Z' the driver writes and reads Dates as UTC to match UTC_TIMESTAMP().
        timezone: 'Z',
        charset: 'utf8mb4',
      });
      // Same reason as on PostgreSQL: a dropped idle connection must not crash the process.
      p.on('connection', (c) => c.on('error', () => undefined));
      return p;
    };
    return new Kysely<Database>({ dialect: new MysqlStoreDialect({ pool }) });
  },
  now: sql<Date>`utc_timestamp(6)`,
  writesInWith: false,
  readJson: <T>(stored: unknown) => (stored === null ? null : JSON.parse(String(stored))) as T,
  keyIdentity: 'key_hash',
  keyColumns: (text) => ({ key_text: text, key_hash: keyHash(text) }),
  keyIdentityOf: keyHash,
  cursorOf: (identity) => (identity as Buffer).toString('hex'),
  identityOfCursor: (cursor) => Buffer.from(cursor, 'hex'),
  binaryOrder: (column) => sql.ref(column),
  upsert(insert, _conflict, replace, set = {}) {
    // VALUES() rather than the row-alias syntax because MariaDB has no row alias.
    const updates: Record<string, Expression<unknown>> = { ...set };
    for (const c of replace) updates[c] = sql`values(${sql.ref(c)})`;
    return insert.onDuplicateKeyUpdate(updates as never);
  },
  ddl: {
    createTable: (db, table) =>
      db.schema.createTable(table).ifNotExists().modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`),
    name: MYSQL_NAME,
    label: (length) => sql`varchar(${sql.lit(length)})`,
    json: sql`longtext`,
    time: sql`datetime(6)`,
    // CURRENT_TIMESTAMP would be the session's zone, not UTC: every statement passes the time instead.
    defaultNow: (col) => col,
    autoIdType: 'bigint',
    autoId: (col) => col.autoIncrement().primaryKey(),
    keyIdentity: 'key_hash',
    keyColumns: (table) =>
      table.addColumn('key_hash', sql`binary(32)`, (c) => c.notNull()).addColumn('key_text', 'text', (c) => c.notNull()),
    versionOfName: sql<number>`cast(substring_index(name, '_', 1) as unsigned)`,
    async createIndex(db, index, table, columns) {
      const { rows } = await sql`select 1 from information_schema.statistics
        where table_schema = database() and table_name = ${table} and index_name = ${index}`.execute(db);
      if (rows.length === 0) await db.schema.createIndex(index).on(table).columns(columns).execute();
    },
    currentSchema: sql<string>`database()`,
  },
};

export function dialectOfScheme(scheme: string | undefined): Dialect | undefined {
  if (scheme === 'postgres' || scheme === 'postgresql') return postgres;
  if (scheme === 'mysql' || scheme === 'mariadb') return mysql;
  return undefined;
}
