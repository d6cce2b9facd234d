/**
 * Sweep checkpoints (`migrate_checkpoints`): per run key and partition, the last acknowledged key and tallies.
 *
 * Saves are grouped: while one upsert is on its way, the saves that arrive meanwhile (other
 * partitions' pages) wait and then go together as one multi-row upsert. Every caller's promise
 * still resolves only once its own row is committed, so a sweep that sends its next page only
 * after its checkpoint resolves keeps the bound of one page re-sent per partition after a crash;
 * what it saves is statements and commits when partitions finish pages at the same time.
 *
 * A save may also ask for a flag (the backfill's, checked before every page): the round reads the
 * flags its saves asked for in the same statement as the upsert on PostgreSQL (an insert in a WITH),
 * beside it on MySQL, so a page costs one state-store round trip instead of two.
 */
import type { Compilable } from 'kysely';
import { CompiledQuery } from './kysely.js';
import { prepareStatement } from './preparedStatements.js';
import type { KeyTuple } from '../sources/types.js';
import type { StoreContext } from './store-context.js';
import type { Checkpoint, StateStore } from './types.js';

export function checkpointStore({ db, dialect }: StoreContext): Pick<StateStore, 'getCheckpoint' | 'saveCheckpoint' | 'saveCheckpointReadFlag' | 'clearCheckpoints'> {
  type Row = { plan: string; entity: string; run_key: string; partition_no: number; cursor_json: string | null; rows_done: number; failures: number; mismatches: number | null; done: boolean };
  type FlagRef = { plan: string; name: string };
  const waiting: { row: Row; flag?: FlagRef; resolve: (flags: ReadonlyMap<string, boolean>) => void; reject: (e: unknown) => void }[] = [];
  let flushing = false;
  const flagId = (plan: string, name: string) => JSON.stringify([plan, name]);

  // SQL text per statement shape. Building and compiling the statements with kysely was about 4% of
  // a backfill worker's CPU (one round per page); a shape's text is the same every time, only the
  // parameters change. null: the shape's parameters did not come out in the order written below,
  // so it is compiled every time (never seen; a guard against a kysely change).
  const compiled = new Map<string, string | null>();
  async function run<R>(shape: string, params: readonly unknown[], build: () => Compilable<R>): Promise<R[]> {
    const text = compiled.get(shape);
    if (typeof text === 'string') return (await db.executeQuery<R>(CompiledQuery.raw(text, [...params]))).rows;
    const q = build().compile();
    if (text === undefined) {
      const same = q.parameters.length === params.length && q.parameters.every((p, i) => p === params[i]);
      compiled.set(shape, same ? q.sql : null);
      if (same) prepareStatement(q.sql);
    }
    return (await db.executeQuery<R>(q)).rows;
  }

  /** One upsert of `rows`, and the `flags` read with it: in its WITH where the engine allows, else beside it. */
  async function write(rows: Row[], flags: FlagRef[]): Promise<Map<string, boolean>> {
    const upsert = () =>
      dialect.upsert(
        db.insertInto('migrate_checkpoints').values(rows.map((r) => ({ ...r, updated_at: dialect.now }))),
        ['plan', 'entity', 'run_key', 'partition_no'],
        ['cursor_json', 'rows_done', 'failures', 'mismatches', 'done', 'updated_at'],
      );
    const selectFlags = () =>
      db
        .selectFrom('migrate_plan_flags')
        .select(['plan', 'name', 'enabled'])
        .where((eb) => eb.or(flags.map((f) => eb.and([eb('plan', '=', f.plan), eb('name', '=', f.name)]))));
    // The parameters in the order kysely writes them: each row's columns as listed in Row, then each flag's plan and name.
    const rowParams = rows.flatMap((r) => [r.plan, r.entity, r.run_key, r.partition_no, r.cursor_json, r.rows_done, r.failures, r.mismatches, r.done]);
    const flagParams = flags.flatMap((f) => [f.plan, f.name]);
    const read = new Map<string, boolean>();
    if (flags.length === 0) {
      await run(`upsert ${rows.length}`, rowParams, upsert);
      return read;
    }
    // A flag never set reads as off, as the backfill's flag check always has.
    for (const f of flags) read.set(flagId(f.plan, f.name), false);
    type FlagRow = { plan: string; name: string; enabled: unknown };
    const found: FlagRow[] = dialect.writesInWith
      ? await run(`upsert ${rows.length} with flags ${flags.length}`, [...rowParams, ...flagParams], () =>
          db
            .with('saved', () => upsert().returning('partition_no'))
            .selectFrom('migrate_plan_flags')
            .select(['plan', 'name', 'enabled'])
            .where((eb) => eb.or(flags.map((f) => eb.and([eb('plan', '=', f.plan), eb('name', '=', f.name)])))),
        )
      : (await Promise.all([run(`upsert ${rows.length}`, rowParams, upsert), run(`flags ${flags.length}`, flagParams, selectFlags)]))[1];
    for (const r of found) read.set(flagId(r.plan, r.name), Boolean(r.enabled));
    return read;
  }

  /** Writes what waits, in one statement per round, until nothing waits. */
  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (waiting.length > 0) {
        const round = waiting.splice(0);
        // One row per partition: a later save of the same one replaces an earlier (an upsert cannot touch a row twice).
        const rows = new Map<string, Row>();
        const flags = new Map<string, FlagRef>();
        for (const w of round) {
          rows.set(JSON.stringify([w.row.plan, w.row.entity, w.row.run_key, w.row.partition_no]), w.row);
          if (w.flag) flags.set(flagId(w.flag.plan, w.flag.name), w.flag);
        }
        try {
          const read = await write([...rows.values()], [...flags.values()]);
          for (const w of round) w.resolve(read);
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

    async saveCheckpoint(plan, entity, runKey, partition, cp) {
      await save(plan, entity, runKey, partition, cp);
    },

    async saveCheckpointReadFlag(plan, entity, runKey, partition, cp, flag) {
      const read = await save(plan, entity, runKey, partition, cp, { plan, name: flag });
      return read.get(flagId(plan, flag)) ?? false;
    },

    async clearCheckpoints(plan, entity, runKey) {
      await db.deleteFrom('migrate_checkpoints').where('plan', '=', plan).where('entity', '=', entity).where('run_key', '=', runKey).execute();
    },
  };

  /** Queues one checkpoint (and a flag to read) for the next round; resolves when its round is committed, with the flags read. */
  function save(plan: string, entity: string, runKey: string, partition: number, cp: Checkpoint, flag?: FlagRef): Promise<ReadonlyMap<string, boolean>> {
    return new Promise((resolve, reject) => {
      waiting.push({
        flag,
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
  }
}
