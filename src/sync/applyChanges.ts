/**
 * One batch of forward sync: the oldest captured changes are turned into the rows' *current* state
 * (read again from the legacy by key), written to the service — upserts for rows that exist, deletes
 * for rows that are gone — and only then acknowledged. Reading the current row rather than replaying
 * each change makes the batch idempotent and order-proof: a re-send after a crash writes the same
 * state, and a change committed after the read is captured again and sent next time.
 *
 * Refusals (an item the service rejects, a row that cannot be mapped) go to the failure log and are
 * acknowledged with the rest, so one bad row never blocks the others. Retryable service errors
 * throw before anything is acknowledged.
 */
import { secrets } from '../secrets.js';
import type { NewFailure } from '../sweep/copy.js';
import type { KeyTuple, SourceRow } from '../sources/types.js';
import { idempotencyKey } from '../service/idempotency.js';
import type { ItemResult, TargetClient, TargetItem, TargetKey } from '../service/types.js';
import type { Change } from '../capture/changeLog.js';

export interface ChangeQueue {
  read(limit: number): Promise<Change[]>;
  acknowledge(positions: readonly string[]): Promise<void>;
}

export interface ApplyDeps {
  plan: string;
  entity: string;
  changes: ChangeQueue;
  /** Current legacy rows for these keys (absent: deleted, or outside `source.where`). */
  readRows(keys: readonly KeyTuple[]): Promise<SourceRow[]>;
  keyOfRow(row: SourceRow): KeyTuple;
  /** Throws for a row that cannot be mapped (it goes to the failure log). */
  mapRow(row: SourceRow): TargetItem;
  /** The service key of a deleted row; throws when it cannot be derived (each such delete is logged). */
  targetKeyOf(key: KeyTuple): TargetKey;
  target: Pick<TargetClient, 'write' | 'remove'>;
  /** Items per write request; all at once when absent. */
  writeBatch?: number;
  acquire?(items: number): Promise<void>;
  recordFailures(failures: NewFailure[]): Promise<void>;
}

export interface ApplyOutcome {
  /** Change rows consumed (several changes of one key count each). */
  changes: number;
  upserted: number;
  deleted: number;
  failed: number;
  /** Highest position acknowledged in this batch. */
  lastPosition?: string;
}

export const MAPPING_FAILURE_STATUS = 0;

/** Exact identity of a key tuple: a case or type difference is a different key (see docs/sync.md). */
export const keyIdOf = (key: KeyTuple) => JSON.stringify(key);

export async function applyChanges(deps: ApplyDeps, limit: number): Promise<ApplyOutcome> {
  const changes = await deps.changes.read(limit);
  if (changes.length === 0) return { changes: 0, upserted: 0, deleted: 0, failed: 0 };

  const keys = new Map<string, KeyTuple>();
  for (const c of changes) keys.set(keyIdOf(c.key), c.key);
  const rows = await deps.readRows([...keys.values()]);
  const present = new Map<string, SourceRow>();
  for (const row of rows) {
    const id = keyIdOf(deps.keyOfRow(row));
    if (keys.has(id)) present.set(id, row);
  }

  const failures: NewFailure[] = [];
  const fail = (key: KeyTuple, status: number, error: string) => failures.push({ plan: deps.plan, entity: deps.entity, key, status, error: secrets.redact(error) });
  const upserts: { key: KeyTuple; item: TargetItem; version: string }[] = [];
  const deletes: { key: KeyTuple; targetKey: TargetKey }[] = [];
  const lastPositionOf = new Map<string, string>();
  for (const c of changes) lastPositionOf.set(keyIdOf(c.key), c.position);
  for (const [id, key] of keys) {
    const row = present.get(id);
    try {
      if (row) upserts.push({ key, item: deps.mapRow(row), version: lastPositionOf.get(id)! });
      else deletes.push({ key, targetKey: deps.targetKeyOf(key) });
    } catch (e) {
      fail(key, MAPPING_FAILURE_STATUS, `${row ? 'mapping' : 'delete'}: ${(e as Error).message}`);
    }
  }

  let deleted = 0;
  const upserted = await writeUpserts(deps, upserts, fail);
  if (deletes.length > 0 && !deps.target.remove) {
    for (const d of deletes) fail(d.key, MAPPING_FAILURE_STATUS, 'delete: the row is gone from the legacy, but the plan declares no way to delete it in the service (add target.delete, or rest.delete)');
  } else if (deletes.length > 0) {
    await deps.acquire?.(deletes.length);
    const results = await deps.target.remove!(deletes.map((d) => d.targetKey), idempotencyKey(`${deps.entity}#delete`, deletes.map((d) => ({ key: d.key, version: lastPositionOf.get(keyIdOf(d.key)) }))));
    deleted += tally(results, (j, r) => fail(deletes[j]!.key, r.status, r.error ?? `HTTP ${r.status}`));
  }

  if (failures.length > 0) await deps.recordFailures(failures);
  await deps.changes.acknowledge(changes.map((c) => c.position));
  const lastPosition = changes.map((c) => BigInt(c.position)).reduce((a, b) => (b > a ? b : a)).toString();
  return { changes: changes.length, upserted, deleted, failed: failures.length, lastPosition };
}

/**
 * Writes the items in requests of `writeBatch`; returns how many the service accepted and reports
 * each refusal. Idempotency keys come from the keys and versions, so a re-send of the same versions
 * is the same request. Retryable errors throw.
 */
export async function writeUpserts(
  deps: Pick<ApplyDeps, 'entity' | 'target' | 'writeBatch' | 'acquire'>,
  upserts: readonly { key: KeyTuple; item: TargetItem; version: string }[],
  fail: (key: KeyTuple, status: number, error: string) => void,
): Promise<number> {
  let upserted = 0;
  const size = deps.writeBatch ?? Math.max(1, upserts.length);
  for (let i = 0; i < upserts.length; i += size) {
    const batch = upserts.slice(i, i + size);
    await deps.acquire?.(batch.length);
    const results = await deps.target.write(batch.map((b) => b.item), idempotencyKey(deps.entity, batch.map((b) => ({ key: b.key, version: `sync@${b.version}` }))));
    upserted += tally(results, (j, r) => fail(batch[j]!.key, r.status, r.error ?? `HTTP ${r.status}`));
  }
  return upserted;
}

/** Counts the successes and reports each failure. */
function tally(results: readonly ItemResult[], onFailure: (index: number, r: ItemResult) => void): number {
  let ok = 0;
  results.forEach((r, j) => (r.ok ? ok++ : onFailure(j, r)));
  return ok;
}
