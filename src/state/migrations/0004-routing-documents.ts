/**
 * Routing documents: every published epoch of every entity's routing, kept (not overwritten), so
 * what consumers were told at any epoch stays readable, and the primary key lets only one
 * publisher claim an epoch.
 */
import type { Migration } from 'kysely';
import type { Ddl } from '../dialects.js';

export function routingDocuments(ddl: Ddl): Migration {
  return {
    async up(db) {
      await ddl
        .createTable(db, 'migrate_routing_documents')
        .addColumn('plan', ddl.name, (c) => c.notNull())
        .addColumn('entity', ddl.name, (c) => c.notNull())
        .addColumn('epoch', 'bigint', (c) => c.notNull())
        .addColumn('document', ddl.json, (c) => c.notNull())
        .addColumn('published_at', ddl.time, (c) => ddl.defaultNow(c.notNull()))
        .addColumn('published_by', ddl.label(191), (c) => c.notNull())
        .addPrimaryKeyConstraint('migrate_routing_documents_pkey', ['plan', 'entity', 'epoch'])
        .execute();
    },
  };
}
