/**
 * The copy visitor: maps a page of source rows and writes it to the new service in batches.
 * Per-item refusals (400/409/422) and rows that cannot be mapped go to the failure log and the
 * copy goes on; retryable and auth errors propagate for the caller's retry policy or pause.
 */
import type { KeyTuple, SourceRow } from '../sources/types.js';
import type { TargetClient, TargetItem } from '../service/types.js';
import type { FailureRecord } from '../state/types.js';
import type { PageOutcome, Visitor } from './engine.js';
import { idempotencyKey } from '../service/idempotency.js';
import { secrets } from '../secrets.js';

export type NewFailure = Omit<FailureRecord, 'attempts' | 'firstSeen' | 'lastSeen'>;

/** The parts of a compiled mapping the copy needs. */
export interface RowMapper {
  map(row: SourceRow): TargetItem;
}

export interface CopyVisitorOptions {
  plan: string;
  entity: string;
  mapper: RowMapper;
  target: TargetClient;
  /** Items per write request; the whole page when absent (single-item targets bound concurrency themselves). */
  writeBatch?: number;
  keyOf(row: SourceRow): KeyTuple;
  /** The row's version for idempotency keys (its updatedAt), when the source has one. */
  versionOf?(row: SourceRow): unknown;
  /** Waits for rate-limit tokens, one per item. */
  acquire?(items: number): Promise<void>;
  recordFailures(failures: NewFailure[]): Promise<void>;
  /** Called with keys written successfully (retry uses it to empty the failure log). */
  onWritten?(keys: KeyTuple[]): Promise<void>;
}

const MAPPING_FAILURE_STATUS = 0;

/** A visitor that copies pages into the target; returns the failures it logged per page. */
export function createCopyVisitor(opts: CopyVisitorOptions): Visitor {
  const prepare = (rows: SourceRow[]) => {
    const failures: NewFailure[] = [];
    const mapped: { key: KeyTuple; version: unknown; item: TargetItem }[] = [];
    for (const row of rows) {
      const key = opts.keyOf(row);
      try {
        mapped.push({ key, version: opts.versionOf?.(row), item: opts.mapper.map(row) });
      } catch (e) {
        failures.push({ plan: opts.plan, entity: opts.entity, key, status: MAPPING_FAILURE_STATUS, error: secrets.redact(`mapping: ${(e as Error).message}`) });
      }
    }
    const size = opts.writeBatch ?? Math.max(1, mapped.length);
    // A page is usually one batch; the mapped entries carry the key and version the idempotency key is made of.
    const batches: { entries: typeof mapped; idempotencyKey: string }[] = [];
    for (let i = 0; i < mapped.length; i += size) {
      const entries = size >= mapped.length ? mapped : mapped.slice(i, i + size);
      batches.push({ entries, idempotencyKey: idempotencyKey(opts.entity, entries) });
    }
    return {
      async send(): Promise<PageOutcome> {
        const written: KeyTuple[] = [];
        for (const batch of batches) {
          await opts.acquire?.(batch.entries.length);
          const results = await opts.target.write(
            batch.entries.map((b) => b.item),
            batch.idempotencyKey,
          );
          results.forEach((r, j) => {
            const b = batch.entries[j]!;
            if (!r.ok) failures.push({ plan: opts.plan, entity: opts.entity, key: b.key, status: r.status, error: r.error ?? `HTTP ${r.status}` });
            else if (opts.onWritten) written.push(b.key);
          });
        }
        if (failures.length > 0) await opts.recordFailures(failures);
        if (opts.onWritten && written.length > 0) await opts.onWritten(written);
        return { failures: failures.length, mismatches: 0 };
      },
    };
  };
  return {
    prepare,
    visit: (rows) => prepare(rows).send(),
  };
}
