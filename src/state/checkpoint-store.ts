/** Sweep checkpoints (`migrate_checkpoints`): per run key and partition, the last acknowledged key and tallies. */
import type { KeyTuple } from '../sources/types.js';
import type { StoreContext } from './store-context.js';
import type { Checkpoint, StateStore } from './types.js';

export function checkpointStore({ db, dialect }: StoreContext): Pick<StateStore, 'getCheckpoint' | 'saveCheckpoint' | 'clearCheckpoints'> {
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

    async saveCheckpoint(plan, entity, runKey, partition, cp) {
      // One statement: this runs after every batch of every partition.
      const row = {
        plan,
        entity,
        run_key: runKey,
        partition_no: partition,
        cursor_json: cp.cursor === undefined ? null : JSON.stringify(cp.cursor),
        rows_done: cp.rowsDone,
        failures: cp.failures,
        mismatches: cp.mismatches ?? null,
        done: cp.done,
        updated_at: dialect.now,
      };
      await dialect
        .upsert(
          db.insertInto('migrate_checkpoints').values(row),
          ['plan', 'entity', 'run_key', 'partition_no'],
          ['cursor_json', 'rows_done', 'failures', 'mismatches', 'done', 'updated_at'],
        )
        .execute();
    },

    async clearCheckpoints(plan, entity, runKey) {
      await db.deleteFrom('migrate_checkpoints').where('plan', '=', plan).where('entity', '=', entity).where('run_key', '=', runKey).execute();
    },
  };
}
