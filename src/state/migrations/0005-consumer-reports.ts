/**
 * What consumers of the library send back (docs/consumer.md): the latest acknowledgement of each
 * consumer instance, and every report it sent, keyed by its sequence number so a re-sent report is
 * stored once.
 */
import type { Migration } from 'kysely';
import type { Ddl } from '../dialects.js';

export function consumerReports(ddl: Ddl): Migration {
  return {
    async up(db) {
      await ddl
        .createTable(db, 'migrate_consumer_acks')
        .addColumn('plan', ddl.name, (c) => c.notNull())
        .addColumn('entity', ddl.name, (c) => c.notNull())
        .addColumn('consumer', ddl.name, (c) => c.notNull())
        .addColumn('instance', ddl.name, (c) => c.notNull())
        .addColumn('epoch', 'bigint')
        .addColumn('in_flight', 'bigint', (c) => c.notNull())
        .addColumn('failure_log_depth', 'bigint', (c) => c.notNull())
        .addColumn('routing_stale', 'boolean', (c) => c.notNull())
        .addColumn('last_seq', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', ddl.time, (c) => ddl.defaultNow(c.notNull()))
        .addPrimaryKeyConstraint('migrate_consumer_acks_pkey', ['plan', 'entity', 'consumer', 'instance'])
        .execute();
      await ddl
        .createTable(db, 'migrate_consumer_reports')
        .addColumn('plan', ddl.name, (c) => c.notNull())
        .addColumn('entity', ddl.name, (c) => c.notNull())
        .addColumn('consumer', ddl.name, (c) => c.notNull())
        .addColumn('instance', ddl.name, (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('received_at', ddl.time, (c) => ddl.defaultNow(c.notNull()))
        .addColumn('epochs', ddl.json, (c) => c.notNull())
        .addPrimaryKeyConstraint('migrate_consumer_reports_pkey', ['plan', 'entity', 'consumer', 'instance', 'seq'])
        .execute();
      await ddl.createIndex(db, 'migrate_consumer_reports_received', 'migrate_consumer_reports', ['plan', 'entity', 'received_at']);
    },
  };
}
