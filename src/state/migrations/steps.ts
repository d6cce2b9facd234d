/**
 * Re-runnable migration steps. MySQL commits DDL as it goes, so a migration that crashed half way
 * is run again from its start: every step must be harmless when its work is already done.
 */
import type { Kysely } from 'kysely';
import { sql } from '../kysely.js';
import type { ColumnType, Ddl } from '../dialects.js';

/** Adds a nullable column unless it exists (MySQL has no `add column if not exists`; MariaDB and PostgreSQL do). */
export async function addColumnIfMissing(db: Kysely<any>, ddl: Ddl, table: string, column: string, type: ColumnType): Promise<void> {
  const { rows } = await sql`select 1 from information_schema.columns
    where table_schema = ${ddl.currentSchema} and table_name = ${table} and column_name = ${column}`.execute(db);
  if (rows.length === 0) await db.schema.alterTable(table).addColumn(column, type).execute();
}
