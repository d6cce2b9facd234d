/**
 * The compare visitor: maps a page of source rows, batch-reads the service by the mapped keys and
 * compares each pair under the plan's verify rules. Rows that differ, and rows written while the
 * sweep runs, go to the run's re-check queue (never their values: only keys, class and field names),
 * so that writes in flight are re-checked before they count as mismatches.
 */
import { createHash } from 'node:crypto';
import type { Comparator, CompareStatus } from '../compare/index.js';
import { MappingError, toInstant, type Mapping } from '../mapping/index.js';
import type { KeyTuple, SourceRow } from '../sources/types.js';
import type { VerifyEntry } from '../state/types.js';
import type { TargetClient, TargetItem } from '../service/types.js';
import type { PageOutcome, Visitor } from './engine.js';

/** The field named for a row whose transform (not one field) refused it. */
export const TRANSFORM_FIELD = '(transform)';

export interface RowComparison {
  key: KeyTuple;
  status: CompareStatus;
  fields: string[];
  /** The mapped item (absent when the row could not be mapped); never printed unredacted. */
  expected?: TargetItem;
  actual?: TargetItem;
}

export interface CompareDeps {
  mapper: Pick<Mapping, 'map' | 'keyOfItem' | 'keyId'>;
  comparator: Pick<Comparator, 'compare'>;
  target: Pick<TargetClient, 'read'>;
  keyOf(row: SourceRow): KeyTuple;
  /** Waits for rate-limit tokens, one per item read. */
  acquire?(items: number): Promise<void>;
}

/** Rows mapped for comparing: the ones that mapped, and a `different` result for each that did not. */
interface MappedRows {
  mapped: { key: KeyTuple; item: TargetItem; id: string }[];
  unmappable: RowComparison[];
}

function mapRows(deps: CompareDeps, rows: readonly SourceRow[]): MappedRows {
  const unmappable: RowComparison[] = [];
  const mapped: MappedRows['mapped'] = [];
  for (const row of rows) {
    const key = deps.keyOf(row);
    try {
      const item = deps.mapper.map(row);
      mapped.push({ key, item, id: deps.mapper.keyId(item) });
    } catch (e) {
      if (!(e instanceof MappingError)) throw e;
      unmappable.push({ key, status: 'different', fields: [e.field ?? TRANSFORM_FIELD] });
    }
  }
  return { mapped, unmappable };
}

/** One batch read of the mapped rows' keys, each row compared with what the service holds. */
async function compareMapped(deps: CompareDeps, { mapped, unmappable }: MappedRows): Promise<RowComparison[]> {
  const out = [...unmappable];
  if (mapped.length === 0) return out;
  await deps.acquire?.(mapped.length);
  const actual = await deps.target.read(mapped.map((m) => deps.mapper.keyOfItem(m.item)));
  const byId = new Map<string, TargetItem>();
  for (const a of actual) byId.set(deps.mapper.keyId(a), a);
  for (const m of mapped) {
    const a = byId.get(m.id);
    const r = deps.comparator.compare(m.item, a);
    // Assigned rather than spread in: a spread built two more objects per row compared.
    const c: RowComparison = { key: m.key, status: r.status, fields: r.fields, expected: m.item };
    if (a !== undefined) c.actual = a;
    out.push(c);
  }
  return out;
}

/**
 * Compares source rows with the service's copies: one batch read for the page. A row that cannot
 * be mapped is `different` with the failing field named, since the service cannot hold its mapping.
 */
export async function compareRows(deps: CompareDeps, rows: readonly SourceRow[]): Promise<RowComparison[]> {
  return compareMapped(deps, mapRows(deps, rows));
}

export interface CompareVisitorOptions extends CompareDeps {
  /** The source row's updatedAt in ms since the epoch, when the source has the column. */
  updatedAtMs?(row: SourceRow): number | undefined;
  /** Rows updated at or after this instant were written while the sweep ran: queued even when they match. */
  inflightSince?: number;
  /** Adds entries to the run's re-check queue. */
  queue(entries: VerifyEntry[]): Promise<void>;
}

/** A visitor that compares pages; its page outcome's `mismatches` counts rows missing or different now. */
export function createCompareVisitor(opts: CompareVisitorOptions): Visitor {
  // Mapping and the in-flight check are the page's own work, done while the page before is checkpointed.
  const prepare = (rows: SourceRow[]) => {
    const prepared = mapRows(opts, rows);
    const inflight = new Set<string>();
    if (opts.updatedAtMs && opts.inflightSince !== undefined) {
      for (const row of rows) {
        const at = opts.updatedAtMs(row);
        if (at !== undefined && at >= opts.inflightSince) inflight.add(JSON.stringify(opts.keyOf(row)));
      }
    }
    return {
      async send(): Promise<PageOutcome> {
        const results = await compareMapped(opts, prepared);
        const entries: VerifyEntry[] = [];
        let mismatches = 0;
        for (const r of results) {
          if (r.status !== 'match') {
            mismatches++;
            entries.push({ key: r.key, class: r.status, state: 'pending', fields: r.fields });
          } else if (inflight.size > 0 && inflight.has(JSON.stringify(r.key))) {
            entries.push({ key: r.key, class: 'inflight', state: 'pending', fields: [] });
          }
        }
        if (entries.length > 0) await opts.queue(entries);
        return { failures: 0, mismatches };
      },
    };
  };
  return {
    prepare,
    visit: (rows) => prepare(rows).send(),
  };
}

/**
 * A deterministic sample of rows by key: the same key is in or out on every retry and every round of
 * one run (the seed), so a sampled sweep and its re-checks agree on which rows they cover.
 */
export function sampleByKey(fraction: number, seed: string, keyOf: (row: SourceRow) => KeyTuple): (row: SourceRow) => boolean {
  if (fraction >= 1) return () => true;
  const limit = Math.floor(fraction * 0x1_0000_0000);
  return (row) => keyInSample(keyOf(row), seed, limit);
}

function keyInSample(key: KeyTuple, seed: string, limit: number): boolean {
  const h = createHash('sha1').update(seed).update('\0').update(JSON.stringify(key)).digest();
  return h.readUInt32BE(0) < limit;
}

/** Milliseconds since the epoch of a source timestamp (Date, or zone-less text read as UTC as the sources do), or undefined. */
export function instantMs(value: unknown): number | undefined {
  return toInstant(value);
}
