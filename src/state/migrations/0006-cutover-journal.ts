/**
 * The write switch's journal: every step of every write switch (forward or back) with its outcome,
 * in order. A write switch that crashed reads its own entries on resume: before its `journal`
 * (commit) entry it undoes, after it completes (docs/cutover.md, "Write switch").
 */
import type { Migration } from 'kysely';
import type { Ddl } from '../dialects.js';

export function cutoverJournal(ddl: Ddl): Migration {
  return {
    async up(db) {
      await ddl
        .createTable(db, 'migrate_cutover_journal')
        .addColumn('plan', ddl.name, (c) => c.notNull())
        .addColumn('entity', ddl.name, (c) => c.notNull())
        .addColumn('switch_id', ddl.label(255), (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('step', ddl.label(64), (c) => c.notNull())
        .addColumn('outcome', ddl.label(16), (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('epoch', 'bigint')
        .addColumn('data', ddl.json)
        .addColumn('at', ddl.time, (c) => ddl.defaultNow(c.notNull()))
        .addPrimaryKeyConstraint('migrate_cutover_journal_pkey', ['plan', 'entity', 'switch_id', 'seq'])
        .execute();
    },
  };
}
