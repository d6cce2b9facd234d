/** The write switch's journal (`migrate_cutover_journal`): each step's outcome, audited in the same transaction. */
import { insertAudit } from './audit-log.js';
import { isDuplicateKey } from './common.js';
import type { CutoverJournalTable } from './schema.js';
import type { StoreContext } from './store-context.js';
import type { CutoverJournalStore, JournalEntry, JournalOutcome } from './types.js';

export function cutoverJournalStore({ db, dialect }: StoreContext): CutoverJournalStore {
  const toEntry = (r: CutoverJournalTable): JournalEntry => ({
    switchId: r.switch_id,
    seq: Number(r.seq),
    step: r.step,
    outcome: r.outcome as JournalOutcome,
    detail: r.detail,
    ...(r.epoch === null ? {} : { epoch: Number(r.epoch) }),
    ...(r.data === null ? {} : { data: dialect.readJson<Record<string, unknown>>(r.data) }),
    at: new Date(r.at),
  });

  const getEntry = async (plan: string, entity: string, switchId: string, seq: number) => {
    const row = await db
      .selectFrom('migrate_cutover_journal')
      .selectAll()
      .where('plan', '=', plan)
      .where('entity', '=', entity)
      .where('switch_id', '=', switchId)
      .where('seq', '=', seq)
      .executeTakeFirst();
    return row ? toEntry(row) : undefined;
  };

  return {
    async appendJournal(plan, entity, e, actor) {
      const existing = await getEntry(plan, entity, e.switchId, e.seq);
      if (existing) return existing;
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .insertInto('migrate_cutover_journal')
            .values({
              plan,
              entity,
              switch_id: e.switchId,
              seq: e.seq,
              step: e.step,
              outcome: e.outcome,
              detail: e.detail,
              epoch: e.epoch ?? null,
              data: e.data === undefined ? null : JSON.stringify(e.data),
              at: dialect.now,
            })
            .execute();
          await insertAudit(trx, dialect, {
            plan,
            entity,
            action: 'cutover.write-switch',
            actor,
            detail: { switchId: e.switchId, seq: e.seq, step: e.step, outcome: e.outcome, detail: e.detail, ...(e.epoch !== undefined ? { epoch: e.epoch } : {}) },
          });
        });
      } catch (err) {
        // A retried activity raced its first attempt: the primary key let one of them in.
        if (!isDuplicateKey(err)) throw err;
      }
      return (await getEntry(plan, entity, e.switchId, e.seq))!;
    },

    async listJournal(plan, entity, switchId) {
      let q = db.selectFrom('migrate_cutover_journal').selectAll().where('plan', '=', plan).where('entity', '=', entity);
      q = switchId !== undefined ? q.where('switch_id', '=', switchId).orderBy('seq') : q.orderBy('at').orderBy('switch_id').orderBy('seq');
      const rows = await q.execute();
      return rows.map(toEntry);
    },
  };
}
