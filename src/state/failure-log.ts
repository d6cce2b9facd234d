/** The failure log (`migrate_failures`): rows the service refused, one per key, with attempts and first/last seen. */
import { sql } from './kysely.js';
import type { KeyTuple } from '../sources/types.js';
import { chunks, errorExcerpt, keyText, lastByKey } from './common.js';
import type { StoreContext } from './store-context.js';
import type { FailureRecord, StateStore } from './types.js';
import type { FailuresTable } from './schema.js';

const toFailure = (r: FailuresTable): FailureRecord => ({
  plan: r.plan,
  entity: r.entity,
  key: JSON.parse(r.key_text) as KeyTuple,
  status: r.status,
  error: r.error,
  attempts: r.attempts,
  firstSeen: new Date(r.first_seen),
  lastSeen: new Date(r.last_seen),
});

export function failureLog({ db, dialect }: StoreContext): Pick<
  StateStore,
  'recordFailures' | 'listFailures' | 'countFailures' | 'removeFailures' | 'purgeFailures'
> {
  const byEntity = (plan: string, entity: string) =>
    db.deleteFrom('migrate_failures').where('plan', '=', plan).where('entity', '=', entity);

  return {
    async recordFailures(failures) {
      // Deduplicated: one statement may not touch a row twice, and a key repeated in one call is one attempt.
      const unique = lastByKey(failures, (f) => JSON.stringify([f.plan, f.entity, keyText(f.key)]));
      for (const batch of chunks(unique)) {
        const rows = batch.map((f) => ({
          plan: f.plan,
          entity: f.entity,
          ...dialect.keyColumns(keyText(f.key)),
          status: f.status,
          error: errorExcerpt(f.error),
          attempts: 1,
          first_seen: dialect.now,
          last_seen: dialect.now,
        }));
        await dialect
          .upsert(db.insertInto('migrate_failures').values(rows), ['plan', 'entity', dialect.keyIdentity], ['status', 'error', 'last_seen'], {
            attempts: sql`${sql.ref('migrate_failures.attempts')} + 1`,
          })
          .execute();
      }
    },

    async listFailures(plan, entity, limit = 1000) {
      // Key text in code-point order on both engines, so both list failures in the same order.
      const rows = await db
        .selectFrom('migrate_failures')
        .select(['plan', 'entity', 'key_text', 'status', 'error', 'attempts', 'first_seen', 'last_seen'])
        .where('plan', '=', plan)
        .where('entity', '=', entity)
        .orderBy('first_seen')
        .orderBy(dialect.binaryOrder('key_text'))
        .limit(limit)
        .execute();
      return rows.map(toFailure);
    },

    async countFailures(plan, entity) {
      const row = await db
        .selectFrom('migrate_failures')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('plan', '=', plan)
        .where('entity', '=', entity)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    async removeFailures(plan, entity, keys) {
      for (const batch of chunks(keys)) {
        await byEntity(plan, entity)
          .where(dialect.keyIdentity, 'in', batch.map((k) => dialect.keyIdentityOf(keyText(k))) as never)
          .execute();
      }
    },

    async purgeFailures(plan, entity, olderThan) {
      const res = await byEntity(plan, entity).where('last_seen', '<', olderThan).executeTakeFirst();
      return Number(res.numDeletedRows);
    },
  };
}
