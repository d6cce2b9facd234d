/**
 * Boolean flags, scoped by plan (`migrate_plan_flags`); every change is audited in the same
 * transaction. Each change is also written to the unscoped `migrate_flags`, which builds before
 * migration 0009 read (the last value any plan set, as they always saw it); nothing here reads it.
 */
import { insertAudit } from './audit-log.js';
import type { StoreContext } from './store-context.js';
import type { FlagValue, StateStore } from './types.js';
import type { PlanFlagsTable } from './schema.js';

const toFlag = (r: PlanFlagsTable): FlagValue => ({
  name: r.name,
  enabled: Boolean(r.enabled),
  updatedAt: new Date(r.updated_at),
  updatedBy: r.updated_by,
});

export function flagStore({ db, dialect }: StoreContext): Pick<StateStore, 'getFlag' | 'setFlag' | 'listFlags'> {
  return {
    async getFlag(plan, name) {
      const row = await db.selectFrom('migrate_plan_flags').selectAll().where('plan', '=', plan).where('name', '=', name).executeTakeFirst();
      return row ? toFlag(row) : undefined;
    },

    async setFlag(plan, name, enabled, actor, reason, entity) {
      await db.transaction().execute(async (trx) => {
        // Locks the row (when there is one) so the audit's `previous` is the value this change replaced.
        const prev = await trx.selectFrom('migrate_plan_flags').select('enabled').where('plan', '=', plan).where('name', '=', name).forUpdate().executeTakeFirst();
        await dialect
          .upsert(
            trx.insertInto('migrate_plan_flags').values({ plan, name, enabled, updated_at: dialect.now, updated_by: actor }),
            ['plan', 'name'],
            ['enabled', 'updated_at', 'updated_by'],
          )
          .execute();
        await dialect
          .upsert(trx.insertInto('migrate_flags').values({ name, enabled, updated_at: dialect.now, updated_by: actor }), ['name'], ['enabled', 'updated_at', 'updated_by'])
          .execute();
        const previous = prev === undefined ? null : Boolean(prev.enabled);
        await insertAudit(trx, dialect, { plan, entity, action: 'flag.set', detail: { flag: name, enabled, previous }, actor, reason });
      });
    },

    async listFlags(plan) {
      const rows = await db.selectFrom('migrate_plan_flags').selectAll().where('plan', '=', plan).orderBy('name').execute();
      return rows.map(toFlag);
    },
  };
}
