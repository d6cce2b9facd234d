/**
 * Brings a store's schema to this build's version with kysely's Migrator (versioned migrations in
 * `migrations/`, serialised across processes by the dialect's migration lock), after two things the
 * Migrator cannot do by itself:
 * - adopt a store made before kysely, whose `migrate_schema_version` held only version numbers;
 * - leave alone a store that a newer build already migrated further: migrations are additive, so
 *   this build runs on it as it is (the Migrator would call that "corrupted").
 */
import type { Kysely, Migration, MigrationLockOptions } from 'kysely';
import { Migrator, sql } from './kysely.js';
import { EnvironmentError } from '../errors.js';
import type { Dialect, Ddl } from './dialects.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

/** kysely's migration table under the name the store always had: one row per applied migration. */
export const VERSION_TABLE = 'migrate_schema_version';
/**
 * kysely's Migrator insists on a one-row lock table; on PostgreSQL and MySQL it never writes to it
 * (the lock is advisory). It holds no state of Tracer's, hence no `migrate_` prefix.
 */
export const LOCK_TABLE = 'tracer_migration_lock';
/** Where the pre-kysely version table is moved while it is replaced; both are dropped afterwards. */
const LEGACY_TABLE = 'migrate_schema_version_legacy';
const NEXT_TABLE = 'migrate_schema_version_next';

const LOCK_OPTIONS: MigrationLockOptions = { lockTable: LOCK_TABLE, lockRowId: 'migration_lock' };

type AnyDb = Kysely<any>;

export async function migrateSchema(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const all = migrations(dialect.ddl);
  if (await versionTableNeedsWork(db, dialect.ddl)) {
    await withMigrationLock(db, (locked) => prepareVersionTable(locked, dialect.ddl, Object.keys(all)));
  }
  // Every command opens the store: when all of this build's migrations are applied (the usual
  // case), one read says so, without the Migrator's table introspection, lock and transaction.
  if (await allApplied(db, all)) return;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => all },
    migrationTableName: VERSION_TABLE,
    migrationLockTableName: LOCK_TABLE,
    // Numbers are assigned ahead to work built side by side (docs/state-store.md), so a store may
    // have 0009 applied before 0007 ships; every migration is additive and independent, so a late
    // lower number is simply applied.
    allowUnorderedMigrations: true,
  });
  const { error } = await migrator.migrateToLatest();
  if (error === undefined) return;
  // A newer build may have migrated between our look and our lock.
  if (await allApplied(db, all)) return;
  throw error;
}

/**
 * True when every migration of this build is applied (a newer build may have applied more:
 * migrations are additive, so this build runs on its schema as it is); throws when the store has
 * migrations this build does not know and lacks some it knows.
 */
async function allApplied(db: Kysely<Database>, all: Record<string, Migration>): Promise<boolean> {
  const executed = new Set((await db.selectFrom('migrate_schema_version').select('name').execute()).map((r) => r.name));
  const missing = Object.keys(all).filter((name) => !executed.has(name));
  if (missing.length === 0) return true;
  const unknown = [...executed].filter((name) => !(name in all));
  if (unknown.length === 0) return false;
  throw new EnvironmentError(
    `The state store's schema has migrations this build of migrate does not know (${unknown.join(', ')}) and lacks some it knows (${missing.join(', ')}).`,
    { hint: 'Run the build of migrate that last migrated this store, or a newer one: builds with diverging migration lists cannot share a store.' },
  );
}

/** Runs `fn` holding the same lock the Migrator takes, in a transaction where DDL is transactional. */
async function withMigrationLock(db: AnyDb, fn: (db: AnyDb) => Promise<void>): Promise<void> {
  const adapter = db.getExecutor().adapter;
  await db.connection().execute(async (conn) => {
    await adapter.acquireMigrationLock(conn, LOCK_OPTIONS);
    try {
      if (adapter.supportsTransactionalDdl) await conn.transaction().execute(fn);
      else await fn(conn);
    } finally {
      await adapter.releaseMigrationLock(conn, LOCK_OPTIONS);
    }
  });
}

async function tablesAndVersionColumns(db: AnyDb, ddl: Ddl): Promise<{ tables: Set<string>; versionColumns: Set<string> }> {
  const { rows: tables } = await sql<{ t: string }>`select table_name as t from information_schema.tables
    where table_schema = ${ddl.currentSchema} and table_name in (${VERSION_TABLE}, ${LEGACY_TABLE}, ${NEXT_TABLE})`.execute(db);
  const { rows: columns } = await sql<{ c: string }>`select column_name as c from information_schema.columns
    where table_schema = ${ddl.currentSchema} and table_name = ${VERSION_TABLE}`.execute(db);
  return { tables: new Set(tables.map((r) => r.t)), versionColumns: new Set(columns.map((r) => r.c)) };
}

async function versionTableNeedsWork(db: AnyDb, ddl: Ddl): Promise<boolean> {
  const { tables, versionColumns } = await tablesAndVersionColumns(db, ddl);
  return !versionColumns.has('name') || tables.has(LEGACY_TABLE) || tables.has(NEXT_TABLE);
}

async function createVersionTable(db: AnyDb, ddl: Ddl, table: string): Promise<void> {
  // kysely's two columns, plus `version` derived from the name: the pre-kysely workers read
  // `max(version)` at start, see that nothing is left for them to apply, and run on.
  await ddl
    .createTable(db, table)
    .addColumn('name', ddl.label(255), (c) => c.notNull())
    .addColumn('timestamp', ddl.label(255), (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.generatedAlwaysAs(ddl.versionOfName).stored())
    .addPrimaryKeyConstraint('migrate_schema_version_pk', ['name'])
    .execute();
}

/**
 * Creates the version table, or replaces a pre-kysely one (version, description, applied_at) by
 * one with the same migrations under their names. Re-runnable after a crash at any step, for MySQL.
 */
async function prepareVersionTable(db: AnyDb, ddl: Ddl, names: readonly string[]): Promise<void> {
  const { tables, versionColumns } = await tablesAndVersionColumns(db, ddl);
  if (!tables.has(VERSION_TABLE)) {
    if (tables.has(NEXT_TABLE)) await db.schema.alterTable(NEXT_TABLE).renameTo(VERSION_TABLE).execute();
    else await createVersionTable(db, ddl, VERSION_TABLE);
  } else if (!versionColumns.has('name')) {
    const legacy = await db.selectFrom(VERSION_TABLE).select(['version', 'applied_at']).execute();
    await createVersionTable(db, ddl, NEXT_TABLE);
    await db.deleteFrom(NEXT_TABLE).execute();
    const rows = legacy.map((r: { version: number; applied_at: Date }) => {
      const name = names.find((n) => Number(n.split('_')[0]) === Number(r.version));
      if (name === undefined) throw new Error(`schema version ${r.version} of this store is unknown to this build of migrate`);
      return { name, timestamp: new Date(r.applied_at).toISOString() };
    });
    if (rows.length > 0) await db.insertInto(NEXT_TABLE).values(rows).execute();
    await db.schema.alterTable(VERSION_TABLE).renameTo(LEGACY_TABLE).execute();
    await db.schema.alterTable(NEXT_TABLE).renameTo(VERSION_TABLE).execute();
  }
  await db.schema.dropTable(LEGACY_TABLE).ifExists().execute();
  await db.schema.dropTable(NEXT_TABLE).ifExists().execute();
}
