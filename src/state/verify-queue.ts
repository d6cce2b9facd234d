/** The verification re-check queue (`migrate_verify_entries`): per run, rows to look at again. */
import type { KeyTuple } from '../sources/types.js';
import { chunks, keyText, lastByKey } from './common.js';
import type { StoreContext } from './store-context.js';
import type { VerifyEntry, VerifyEntryStore } from './types.js';

export function verifyQueue({ db, dialect }: StoreContext): VerifyEntryStore {
  const ofRun = (plan: string, entity: string, runKey: string) =>
    db.selectFrom('migrate_verify_entries').where('plan', '=', plan).where('entity', '=', entity).where('run_key', '=', runKey);

  return {
    async saveVerifyEntries(plan, entity, runKey, entries) {
      const unique = lastByKey(entries, (e) => keyText(e.key));
      for (const batch of chunks(unique)) {
        const rows = batch.map((e) => ({
          plan,
          entity,
          run_key: runKey,
          ...dialect.keyColumns(keyText(e.key)),
          class: e.class,
          state: e.state,
          fields: JSON.stringify(e.fields),
          updated_at: dialect.now,
        }));
        await dialect
          .upsert(
            db.insertInto('migrate_verify_entries').values(rows),
            ['plan', 'entity', 'run_key', dialect.keyIdentity],
            ['class', 'state', 'fields', 'updated_at'],
          )
          .execute();
      }
    },

    async listVerifyEntries(plan, entity, runKey, filter) {
      const limit = filter.limit ?? 1000;
      // Pages follow the key identity column (the primary key's last part), so every page is an index range.
      let q = ofRun(plan, entity, runKey).select(['key_text', 'class', 'state', 'fields', dialect.keyIdentity]);
      if (filter.state !== undefined) q = q.where('state', '=', filter.state);
      if (filter.class !== undefined) q = q.where('class', '=', filter.class);
      if (filter.after !== undefined) q = q.where(dialect.keyIdentity, '>', dialect.identityOfCursor(filter.after) as never);
      const rows = await q.orderBy(dialect.keyIdentity).limit(limit).execute();
      const entries = rows.map((r) => ({
        key: JSON.parse(r.key_text) as KeyTuple,
        class: r.class as VerifyEntry['class'],
        state: r.state as VerifyEntry['state'],
        fields: dialect.readJson<string[]>(r.fields),
      }));
      const last = rows[rows.length - 1];
      return rows.length === limit && last ? { entries, next: dialect.cursorOf(last[dialect.keyIdentity]) } : { entries };
    },

    async countVerifyEntries(plan, entity, runKey) {
      const rows = await ofRun(plan, entity, runKey)
        .select(['class', 'state', (eb) => eb.fn.countAll().as('n')])
        .groupBy(['class', 'state'])
        .execute();
      return rows.map((r) => ({ class: r.class as VerifyEntry['class'], state: r.state as VerifyEntry['state'], n: Number(r.n) }));
    },

    async clearVerifyEntries(plan, entity, runKey) {
      await db.deleteFrom('migrate_verify_entries').where('plan', '=', plan).where('entity', '=', entity).where('run_key', '=', runKey).execute();
    },
  };
}
