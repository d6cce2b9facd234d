/**
 * The one way Tracer pushes an entity's legacy rows into the service. Backfill chunks, repair after
 * a verification and `migrate retry` all build their copy from here, so a row is mapped (transform
 * included), batched, rate-limited and given its idempotency key the same way whichever path sends it.
 */
import { writeBatchOf } from '../plan/schema.js';
import { keyText } from '../state/common.js';
import type { KeyTuple, SourceDb, SourceRow } from '../sources/types.js';
import { createCopyVisitor, type CopyVisitorOptions } from '../sweep/copy.js';
import type { Visitor } from '../sweep/engine.js';
import type { PlanResources } from '../resources/planResources.js';

/** The entity's copy visitor as the plan configures it; the caller says where failures and written keys go. */
export function entityCopyVisitor(
  res: PlanResources,
  plan: string,
  entity: string,
  source: SourceDb,
  hooks: Pick<CopyVisitorOptions, 'recordFailures' | 'onWritten'>,
): Visitor {
  const e = res.entity(entity);
  const updatedAt = e.source.updatedAt;
  return createCopyVisitor({
    plan,
    entity,
    mapper: res.mapping(entity),
    target: res.target(entity),
    writeBatch: writeBatchOf(e.target),
    keyOf: (row) => source.keyOf(e.source, row),
    versionOf: updatedAt ? (row) => row[updatedAt] : undefined,
    acquire: (n) => res.acquire(entity, n),
    ...hooks,
  });
}

/** Re-reads rows by key for a re-push: the rows that still exist, and the keys gone from the source since. */
export async function readForRePush(res: PlanResources, entity: string, source: SourceDb, keys: readonly KeyTuple[]): Promise<{ rows: SourceRow[]; gone: KeyTuple[] }> {
  const e = res.entity(entity);
  const rows = await source.readByKeys(e.source, keys);
  const found = new Set(rows.map((r) => keyText(source.keyOf(e.source, r))));
  return { rows, gone: keys.filter((k) => !found.has(keyText(k))) };
}
