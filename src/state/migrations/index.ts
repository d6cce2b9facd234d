/**
 * Every schema migration, in order. Names are `NNNN_what`: kysely's Migrator runs them in name
 * order and records each name in `migrate_schema_version`, whose `version` column is the number.
 *
 * Rules (docs/state-store.md, "Adding a table"): append, never edit or reorder a shipped entry;
 * only additive changes (new tables, new nullable or defaulted columns, new indexes), so a worker
 * of the previous version keeps running against the migrated schema.
 */
import type { Migration } from 'kysely';
import type { Ddl } from '../dialects.js';
import { initialTables } from './0001-initial-tables.js';
import { checkpointMismatches } from './0002-checkpoint-mismatches.js';
import { verifyEntries } from './0003-verify-entries.js';
import { routingDocuments } from './0004-routing-documents.js';
import { consumerReports } from './0005-consumer-reports.js';
import { cutoverJournal } from './0006-cutover-journal.js';
import { planFlags } from './0009-plan-flags.js';

export function migrations(ddl: Ddl): Record<string, Migration> {
  return {
    '0001_initial_tables': initialTables(ddl),
    '0002_checkpoint_mismatches': checkpointMismatches(ddl),
    '0003_verify_entries': verifyEntries(ddl),
    '0004_routing_documents': routingDocuments(ddl),
    '0005_consumer_reports': consumerReports(ddl),
    '0006_cutover_journal': cutoverJournal(ddl),
    '0009_plan_flags': planFlags(ddl),
  };
}
