/**
 * Sweep checkpoints (`migrate_checkpoints`): per run key and partition, the last acknowledged key and tallies.
 *
 * Saves are grouped: while one upsert is on its way, the saves that arrive meanwhile (other
 * partitions' pages) wait and then go together as one multi-row upsert. Every caller's promise
 * still resolves only once its own row is committed, so a sweep that sends its next page only
 * after its checkpoint resolves keeps the bound of one page re-sent per partition after a crash;
 * what it saves is statements and commits when partitions finish pages at the same time.
 */
import type { KeyTuple } from '../sources/types.js';
import type { StoreContext } from './store-context.js';
import type { Checkpoint, StateStore } from './types.js';

export function checkpointStore({ db, dialect }: StoreContext): Pick<StateStore, 'getCheckpoint' | 'saveCheckpoint' | 'clearCheckpoints'> {
  type Row = { plan: string; entity: string; run_key: string; partition_no: number; cursor_json: string | null; rows_done: number; failures: number; mismatches: number | null; done: boolean };
  const waiting: { row: Row; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let flushing = false;

  /** Writes what waits, in one statement per round, until nothing waits. */
  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (waiting.length > 0) {
        const round = waiting.splice(0);
        // One row per partition: a later save of the same one replaces an earlier (an upsert cannot touch a row twice).
        const rows = new Map<string, Row>();
        for (const w of round) rows.set(JSON.stringify([w.row.plan, w.row.entity, w.row.run_key, w.row.partition_no]), w.row);
        try {
          await dialect
            .upsert(
              db.insertInto('migrate_checkpoints').values([...rows.values()].map((r) => ({ ...r, updated_at: dialect.now }))),
              ['plan', 'entity', 'run_key', 'partition_no'],
              ['cursor_json', 'rows_done', 'failures', 'mismatches', 'done', 'updated_at'],
            )
            .execute();
          for (const w of round) w.resolve();
        } catch (e) {
          for (const w of round) w.reject(e);
        }
      }
    } finally {
      flushing = false;
    }
  }

  return {
    async getCheckpoint(plan, entity, runKey, partition) {
      const r = await db
        .selectFrom('migrate_checkpoints')
        .select(['cursor_json', 'rows_done', 'failures', 'mismatches', 'done'])
        .where('plan', '=', plan)
        .where('entity', '=', entity)
        .where('run_key', '=', runKey)
        .where('partition_no', '=', partition)
        .executeTakeFirst();
      if (!r) return undefined;
      return {
        ...(r.cursor_json === null ? {} : { cursor: dialect.readJson<KeyTuple>(r.cursor_json) }),
        rowsDone: Number(r.rows_done),
        failures: Number(r.failures),
        ...(r.mismatches === null ? {} : { mismatches: Number(r.mismatches) }),
        done: Boolean(r.done),
      } satisfies Checkpoint;
    },

    saveCheckpoint(plan, entity, runKey, partition, cp) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({
          row: {
            plan,
            entity,
            run_key: runKey,
            partition_no: partition,
            cursor_json: cp.cursor === undefined ? null : JSON.stringify(cp.cursor),
            rows_done: cp.rowsDone,
            failures: cp.failures,
            mismatches: cp.mismatches ?? null,
            done: cp.done,
          },
          resolve,
          reject,
        });
        if (!flushing) void flush();
      });
    },

    async clearCheckpoints(plan, entity, runKey) {
      await db.deleteFrom('migrate_checkpoints').where('plan', '=', plan).where('entity', '=', entity).where('run_key', '=', runKey).execute();
    },
  };
}
