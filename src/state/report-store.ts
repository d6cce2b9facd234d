/** Verification reports (`migrate_reports`): JSON documents with a time-sortable id. */
import { newReportId } from './common.js';
import type { StoreContext } from './store-context.js';
import type { StateStore, StoredReport } from './types.js';

export function reportStore({ db, dialect }: StoreContext): Pick<StateStore, 'saveReport' | 'getReport' | 'latestReport'> {
  const reports = () => db.selectFrom('migrate_reports').select(['id', 'plan', 'entity', 'created_at', 'report']);
  const toReport = <T>(r: { id: string; plan: string; entity: string; created_at: Date | string; report: unknown }): StoredReport<T> => ({
    id: r.id,
    plan: r.plan,
    entity: r.entity,
    createdAt: new Date(r.created_at),
    report: dialect.readJson<T>(r.report),
  });

  return {
    async saveReport(plan, entity, report) {
      const id = newReportId();
      await db
        .insertInto('migrate_reports')
        .values({ id, plan, entity, created_at: dialect.now, report: JSON.stringify(report) })
        .execute();
      return id;
    },

    async getReport<T>(id: string) {
      const row = await reports().where('id', '=', id).executeTakeFirst();
      return row ? toReport<T>(row) : undefined;
    },

    async latestReport<T>(plan: string, entity: string) {
      const row = await reports()
        .where('plan', '=', plan)
        .where('entity', '=', entity)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toReport<T>(row) : undefined;
    },
  };
}
