/** Boolean flags (`migrate_flags`); every change is audited in the same transaction. */
import { insertAudit } from './audit-log.js';
import type { StoreContext } from './store-context.js';
import type { FlagValue, StateStore } from './types.js';
import type { FlagsTable } from './schema.js';

const toFlag = (r: FlagsTable): FlagValue => ({
  name: r.name,
  enabled: Boolean(r.enabled),
  updatedAt: new Date(r.updated_at),
  updatedBy: r.updated_by,
});

export function flagStore({ db, dialect }: StoreContext): Pick<StateStore, 'getFlag' | 'setFlag' | 'listFlags'> {
  return {
    async getFlag(name) {
      const row = await db.selectFrom('migrate_flags').selectAll().where('name', '=', name).executeTakeFirst();
      return row ? toFlag(row) : undefined;
    },

    async setFlag(plan, name, enabled, actor, reason, entity) {
      await db.transaction().execute(async (trx) => {
        // Locks the row (when there is one) so the audit's `previous` is the value this change replaced.
        const prev = await trx.selectFrom('migrate_flags').select('enabled').where('name', '=', name).forUpdate().executeTakeFirst();
        await dialect
          .upsert(
            trx.insertInto('migrate_flags').values({ name, enabled, updated_at: dialect.now, updated_by: actor }),
            ['name'],
            ['enabled', 'updated_at', 'updated_by'],
          )
          .execute();
        const previous = prev === undefined ? null : Boolean(prev.enabled);
        await insertAudit(trx, dialect, { plan, entity, action: 'flag.set', detail: { flag: name, enabled, previous }, actor, reason });
      });
    },

    async listFlags() {
      const rows = await db.selectFrom('migrate_flags').selectAll().orderBy('name').execute();
      return rows.map(toFlag);
    },
  };
}
