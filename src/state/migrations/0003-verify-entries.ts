/** The verification re-check queue: rows that differed or changed during a sweep, per run. */
import type { Migration } from 'kysely';
import type { Ddl } from '../dialects.js';

export function verifyEntries(ddl: Ddl): Migration {
  return {
    async up(db) {
      await ddl
        .keyColumns(
          ddl
            .createTable(db, 'migrate_verify_entries')
            .addColumn('plan', ddl.name, (c) => c.notNull())
            .addColumn('entity', ddl.name, (c) => c.notNull())
            .addColumn('run_key', ddl.label(191), (c) => c.notNull()),
        )
        .addColumn('class', ddl.label(16), (c) => c.notNull())
        .addColumn('state', ddl.label(16), (c) => c.notNull())
        .addColumn('fields', ddl.json, (c) => c.notNull())
        .addColumn('updated_at', ddl.time, (c) => ddl.defaultNow(c.notNull()))
        .addPrimaryKeyConstraint('migrate_verify_entries_pkey', ['plan', 'entity', 'run_key', ddl.keyIdentity])
        .execute();
      await ddl.createIndex(db, 'migrate_verify_entries_state', 'migrate_verify_entries', ['plan', 'entity', 'run_key', 'state', ddl.keyIdentity]);
    },
  };
}
