/**
 * One pass of forward sync with `capture: updatedAt` (docs/sync.md): the legacy table is read in
 * `(updatedAt, key)` order from `overlap` before the saved cursor to its end, page by page; each
 * page's rows are read again by key (their current state, as the sources convert it), mapped and
 * upserted; only after the service acknowledged a page does the cursor move to its last row and get
 * saved. A re-send writes the same current state, so it is idempotent.
 *
 * The overlap reads rows the previous pass already sent; `sent` (kept by the worker between passes)
 * remembers, per key, the updatedAt and a fingerprint of the item last sent, and a row that is the
 * same on both is not sent again. A new worker starts with an empty memory and sends the overlap's
 * rows once more. A row gone between the scan and the read (deleted, or no longer matching
 * `source.where`) is counted as `vanished` and not sent: this capture cannot see deletes.
 */
import { createHash } from 'node:crypto';
import { secrets } from '../secrets.js';
import type { NewFailure } from '../sweep/copy.js';
import type { KeyTuple, SourceRow } from '../sources/types.js';
import type { TargetItem } from '../service/types.js';
import { advanceCursor, type CursorPoint, type ScannedRow } from '../capture/updatedAtCursor.js';
import { keyIdOf, MAPPING_FAILURE_STATUS, writeUpserts, type ApplyDeps } from './applyChanges.js';

/** What this worker last sent for a key: the row's updatedAt text and the item's fingerprint. */
export type SentMemory = Map<string, { at: string; fingerprint: string }>;

export interface CursorPassDeps extends Pick<ApplyDeps, 'plan' | 'entity' | 'readRows' | 'keyOfRow' | 'mapRow' | 'target' | 'writeBatch' | 'acquire' | 'recordFailures'> {
  scan(from: { cursorAt?: string; overlapMs: number; after?: CursorPoint }, limit: number): Promise<ScannedRow[]>;
  /** The floor of a pass from this cursor (rows older are not read again, so their memory can go). */
  floor(cursorAt: string, overlapMs: number): Promise<string>;
  /** Persists the cursor; called only after the service acknowledged the page. */
  saveCursor(cursor: CursorPoint, page: { sent: number; failed: number }): Promise<void>;
  sent: SentMemory;
  overlapMs: number;
  /** Asked before each page; false ends the pass early (deadline, flag turned off). */
  keepGoing(): Promise<boolean>;
}

export interface CursorPassOutcome {
  /** Rows sent to the service (accepted or refused). */
  changes: number;
  upserted: number;
  failed: number;
  /** Rows the overlap found again unchanged, not re-sent. */
  unchanged: number;
  /** Rows found by the scan and gone when read again (deleted or out of `where`); not sent. */
  vanished: number;
  cursor?: CursorPoint;
  /** The pass read to the end of the table (it did not stop early). */
  complete: boolean;
}

const fingerprintOf = (item: TargetItem) =>
  createHash('sha256')
    .update(JSON.stringify(item, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('base64url');
/** Memory of a row that could not be mapped (it is in the failure log); not tried again until its updatedAt moves. */
const UNMAPPABLE = 'unmappable';

export async function applyCursorPass(deps: CursorPassDeps, start: CursorPoint | undefined, limit: number): Promise<CursorPassOutcome> {
  const out: CursorPassOutcome = { changes: 0, upserted: 0, failed: 0, unchanged: 0, vanished: 0, ...(start ? { cursor: start } : {}), complete: false };
  let after: CursorPoint | undefined;
  for (;;) {
    if (!(await deps.keepGoing())) return out;
    const scanned = await deps.scan({ ...(start ? { cursorAt: start.at } : {}), overlapMs: deps.overlapMs, ...(after ? { after } : {}) }, limit);
    if (scanned.length === 0) break;
    after = scanned[scanned.length - 1]!;

    const atOf = new Map<string, ScannedRow>();
    for (const s of scanned) atOf.set(keyIdOf(s.key), s);
    const rows = await deps.readRows([...atOf.values()].map((s) => s.key));
    const present = new Map<string, SourceRow>();
    for (const row of rows) {
      const id = keyIdOf(deps.keyOfRow(row));
      if (atOf.has(id)) present.set(id, row);
    }
    const failures: NewFailure[] = [];
    const fail = (key: KeyTuple, status: number, error: string) => failures.push({ plan: deps.plan, entity: deps.entity, key, status, error: secrets.redact(error) });
    const upserts: { key: KeyTuple; item: TargetItem; version: string }[] = [];
    const remember: [string, { at: string; fingerprint: string }][] = [];
    for (const [id, s] of atOf) {
      const row = present.get(id);
      if (!row) {
        out.vanished++;
        continue;
      }
      const last = deps.sent.get(id);
      if (last && last.at === s.at && last.fingerprint === UNMAPPABLE) {
        out.unchanged++;
        continue;
      }
      let item: TargetItem;
      try {
        item = deps.mapRow(row);
      } catch (e) {
        fail(s.key, MAPPING_FAILURE_STATUS, `mapping: ${(e as Error).message}`);
        remember.push([id, { at: s.at, fingerprint: UNMAPPABLE }]);
        continue;
      }
      const fingerprint = fingerprintOf(item);
      if (last && last.at === s.at && last.fingerprint === fingerprint) {
        out.unchanged++;
        continue;
      }
      upserts.push({ key: s.key, item, version: `${s.at}#${fingerprint.slice(0, 12)}` });
      remember.push([id, { at: s.at, fingerprint }]);
    }
    const upserted = await writeUpserts(deps, upserts, fail);
    if (failures.length > 0) await deps.recordFailures(failures);
    // Acknowledged: remember what was sent (a refusal too: it is in the failure log, and an unchanged row would only be refused again).
    for (const [id, m] of remember) deps.sent.set(id, m);
    out.cursor = advanceCursor(out.cursor, after);
    out.changes += upserts.length;
    out.upserted += upserted;
    out.failed += failures.length;
    await deps.saveCursor(out.cursor, { sent: upserts.length, failed: failures.length });
    if (scanned.length < limit) break;
  }
  out.complete = true;
  if (out.cursor) {
    const floor = await deps.floor(out.cursor.at, deps.overlapMs);
    for (const [id, m] of deps.sent) if (m.at < floor) deps.sent.delete(id);
  }
  return out;
}
