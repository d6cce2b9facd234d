/** Routing documents (`migrate_routing_documents`): every published epoch, audited in the same transaction. */
import { UserError } from '../errors.js';
import { insertAudit } from './audit-log.js';
import { isDuplicateKey } from './common.js';
import type { StoreContext } from './store-context.js';
import type { RoutingDocumentsTable } from './schema.js';
import type { RoutingStore, StoredRouting } from './types.js';

export function routingStore({ db, dialect }: StoreContext): RoutingStore {
  const toRouting = (r: RoutingDocumentsTable): StoredRouting => ({
    plan: r.plan,
    entity: r.entity,
    epoch: Number(r.epoch),
    document: dialect.readJson<unknown>(r.document),
    publishedAt: new Date(r.published_at),
    publishedBy: r.published_by,
  });
  const stale = (entity: string, epoch: number, newest: number) =>
    new UserError(`routing of ${entity} is at epoch ${newest}, so epoch ${epoch} cannot be published${epoch <= newest ? ' (another publisher got there first)' : ''}`, {
      hint: `Nothing was written. Read the routing in force (\`migrate flags show ${entity}\`) and publish epoch ${newest + 1} from it.`,
    });

  const getRouting: RoutingStore['getRouting'] = async (plan, entity, epoch) => {
    let q = db.selectFrom('migrate_routing_documents').selectAll().where('plan', '=', plan).where('entity', '=', entity);
    q = epoch === undefined ? q.orderBy('epoch', 'desc').limit(1) : q.where('epoch', '=', epoch);
    const row = await q.executeTakeFirst();
    return row ? toRouting(row) : undefined;
  };

  return {
    getRouting,

    async listRouting(plan) {
      const newest = db
        .selectFrom('migrate_routing_documents')
        .select(['entity', (eb) => eb.fn.max('epoch').as('epoch')])
        .where('plan', '=', plan)
        .groupBy('entity')
        .as('newest');
      const rows = await db
        .selectFrom('migrate_routing_documents as r')
        .innerJoin(newest, (j) => j.onRef('newest.entity', '=', 'r.entity').onRef('newest.epoch', '=', 'r.epoch'))
        .selectAll('r')
        .where('r.plan', '=', plan)
        .orderBy('r.entity')
        .execute();
      return rows.map(toRouting);
    },

    async publishRouting({ plan, entity, epoch, document, actor, reason, detail }) {
      try {
        await db.transaction().execute(async (trx) => {
          const row = await trx
            .selectFrom('migrate_routing_documents')
            .select((eb) => eb.fn.max('epoch').as('epoch'))
            .where('plan', '=', plan)
            .where('entity', '=', entity)
            .executeTakeFirst();
          const newest = row?.epoch == null ? 0 : Number(row.epoch);
          if (epoch !== newest + 1) throw stale(entity, epoch, newest);
          await trx
            .insertInto('migrate_routing_documents')
            .values({ plan, entity, epoch, document: JSON.stringify(document), published_at: dialect.now, published_by: actor })
            .execute();
          await insertAudit(trx, dialect, { plan, entity, action: 'routing.publish', detail: { epoch, previousEpoch: newest === 0 ? null : newest, ...detail }, actor, reason });
        });
      } catch (e) {
        // Two publishers read the same newest epoch; the primary key let one of them in.
        if (isDuplicateKey(e)) {
          const now = await getRouting(plan, entity);
          throw stale(entity, epoch, now?.epoch ?? epoch);
        }
        throw e;
      }
    },
  };
}
