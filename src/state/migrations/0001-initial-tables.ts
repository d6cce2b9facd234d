/** Flags, audit log, sweep checkpoints, failure log and reports: the store as it first shipped. */
import type { Migration } from 'kysely';
import type { Ddl } from '../dialects.js';

export function initialTables(ddl: Ddl): Migration {
  return {
    async up(db) {
      await ddl
        .createTable(db, 'migrate_flags')
        .addColumn('name', ddl.label(191), (c) => c.primaryKey())
        .addColumn('enabled', 'boolean', (c) => c.notNull())
        .addColumn('updated_at', ddl.time, (c) => ddl.defaultNow(c.notNull()))
        .addColumn('updated_by', ddl.label(255), (c) => c.notNull())
        .execute();

      await ddl
        .createTable(db, 'migrate_audit')
        .addColumn('id', ddl.autoIdType, (c) => ddl.autoId(c))
        .addColumn('at', ddl.time, (c) => ddl.defaultNow(c.notNull()))
        .addColumn('plan', ddl.name, (c) => c.notNull())
        .addColumn('entity', ddl.name)
        .addColumn('action', ddl.label(100), (c) => c.notNull())
        .addColumn('detail', ddl.json)
        .addColumn('actor', ddl.label(255), (c) => c.notNull())
        .addColumn('reason', 'text')
        .execute();
      await ddl.createIndex(db, 'migrate_audit_plan_entity', 'migrate_audit', ['plan', 'entity', 'id']);

      await ddl
        .createTable(db, 'migrate_checkpoints')
        .addColumn('plan', ddl.name, (c) => c.notNull())
        .addColumn('entity', ddl.name, (c) => c.notNull())
        .addColumn('run_key', ddl.label(191), (c) => c.notNull())
        .addColumn('partition_no', 'integer', (c) => c.notNull())
        .addColumn('cursor_json', ddl.json)
        .addColumn('rows_done', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('failures', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('done', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('updated_at', ddl.time, (c) => ddl.defaultNow(c.notNull()))
        .addPrimaryKeyConstraint('migrate_checkpoints_pkey', ['plan', 'entity', 'run_key', 'partition_no'])
        .execute();

      await ddl
        .keyColumns(
          ddl
            .createTable(db, 'migrate_failures')
            .addColumn('plan', ddl.name, (c) => c.notNull())
            .addColumn('entity', ddl.name, (c) => c.notNull()),
        )
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('error', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('first_seen', ddl.time, (c) => ddl.defaultNow(c.notNull()))
        .addColumn('last_seen', ddl.time, (c) => ddl.defaultNow(c.notNull()))
        .addPrimaryKeyConstraint('migrate_failures_pkey', ['plan', 'entity', ddl.keyIdentity])
        .execute();
      await ddl.createIndex(db, 'migrate_failures_last_seen', 'migrate_failures', ['plan', 'entity', 'last_seen']);

      await ddl
        .createTable(db, 'migrate_reports')
        .addColumn('id', ddl.label(64), (c) => c.primaryKey())
        .addColumn('plan', ddl.name, (c) => c.notNull())
        .addColumn('entity', ddl.name, (c) => c.notNull())
        .addColumn('created_at', ddl.time, (c) => ddl.defaultNow(c.notNull()))
        .addColumn('report', ddl.json, (c) => c.notNull())
        .execute();
      await ddl.createIndex(db, 'migrate_reports_latest', 'migrate_reports', ['plan', 'entity', 'created_at', 'id']);
    },
  };
}
