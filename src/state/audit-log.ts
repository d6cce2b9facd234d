/** The audit log (`migrate_audit`): who did what, when and why; newest first. */
import { secrets } from '../secrets.js';
import type { Dialect } from './dialects.js';
import type { StoreContext, Executor } from './store-context.js';
import type { AuditEntry, StateStore } from './types.js';

/** Appends one entry through `on`, so a caller's transaction can include it. Reasons are redacted. */
export async function insertAudit(on: Executor, dialect: Dialect, entry: AuditEntry): Promise<void> {
  await on
    .insertInto('migrate_audit')
    .values({
      at: dialect.now,
      plan: entry.plan,
      entity: entry.entity ?? null,
      action: entry.action,
      detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
      actor: entry.actor,
      reason: entry.reason === undefined ? null : secrets.redact(entry.reason),
    })
    .execute();
}

/** The action `migrate retire` records; an entity with one was retired. */
export const RETIRE_ACTION = 'retire';

/** Newest audit entries looked through for an entity's retire (its last act, so it is among them). */
const RETIRE_LOOKBACK = 500;

/** Whether `migrate retire` retired the entity, by hand or through its run. */
export async function wasRetired(store: Pick<StateStore, 'listAudit'>, plan: string, entity: string): Promise<boolean> {
  const entries = await store.listAudit({ plan, entity, limit: RETIRE_LOOKBACK });
  return entries.some((a) => a.action === RETIRE_ACTION);
}

export function auditLog({ db, dialect }: StoreContext): Pick<StateStore, 'appendAudit' | 'listAudit'> {
  return {
    async appendAudit(entry) {
      await insertAudit(db, dialect, entry);
    },

    async listAudit({ plan, entity, limit = 100 }) {
      let q = db.selectFrom('migrate_audit').selectAll().where('plan', '=', plan);
      if (entity !== undefined) q = q.where('entity', '=', entity);
      const rows = await q.orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({
        id: Number(r.id),
        at: new Date(r.at),
        plan: r.plan,
        ...(r.entity === null ? {} : { entity: r.entity }),
        action: r.action,
        ...(r.detail === null ? {} : { detail: dialect.readJson<Record<string, unknown>>(r.detail) }),
        actor: r.actor,
        ...(r.reason === null ? {} : { reason: r.reason }),
      }));
    },
  };
}
