/**
 * Helpers of the state store that do not depend on the engine: canonical key text, error excerpts, report ids and
 * the translation of driver connection failures into EnvironmentError.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EnvironmentError } from '../errors.js';
import { displayUrl, secrets } from '../secrets.js';
import type { KeyTuple } from '../sources/types.js';

/** Longest failure excerpt kept, in UTF-8 bytes. */
export const MAX_ERROR_BYTES = 1024;
/** Rows per statement for batch upserts and deletes: far below both drivers' parameter limits. */
export const BATCH_ROWS = 500;

/** The canonical text of a key tuple: JSON of the array, so `[1]` and `["1"]` stay distinct. */
export function keyText(key: KeyTuple): string {
  return JSON.stringify(key);
}

/** SHA-256 of the key text; MySQL indexes this instead of the unbounded text (index key length limits). */
export function keyHash(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Redacted, then cut to at most 1 KB on a character boundary. */
export function errorExcerpt(text: string): string {
  // Redact before cutting: cutting first could leave half a secret that no longer matches.
  const redacted = secrets.redact(text);
  if (Buffer.byteLength(redacted, 'utf8') <= MAX_ERROR_BYTES) return redacted;
  const marker = '…';
  const budget = MAX_ERROR_BYTES - Buffer.byteLength(marker, 'utf8');
  let out = '';
  let bytes = 0;
  for (const ch of redacted) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > budget) break;
    out += ch;
    bytes += n;
  }
  return out + marker;
}

let lastMs = 0;
let seq = 0;

/** A report id that sorts by creation time, also within one millisecond in this process. */
export function newReportId(now = Date.now()): string {
  if (now === lastMs) seq++;
  else {
    lastMs = now;
    seq = 0;
  }
  return `r${now.toString(36).padStart(9, '0')}${seq.toString(36).padStart(4, '0')}${randomBytes(4).toString('hex')}`;
}

/** Drops earlier duplicates so one statement never touches a row twice (PostgreSQL refuses that). */
export function lastByKey<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const k = keyOf(item);
    byKey.delete(k);
    byKey.set(k, item);
  }
  return [...byKey.values()];
}

export function chunks<T>(items: readonly T[], size = BATCH_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  // PostgreSQL SQLSTATEs: auth failed, no such database, no such role, too many connections, shutting down.
  '28P01',
  '28000',
  '3D000',
  '53300',
  '57P01',
  '57P03',
  // MySQL: access denied, unknown database, too many connections.
  'ER_ACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_CON_COUNT_ERROR',
]);

/** True when a driver error means the store cannot be reached or used, not that a query is wrong. */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  const msg = e instanceof Error ? e.message : '';
  return /timeout.*connect|connect.*timeout|Connection terminated/i.test(msg);
}

/** EnvironmentError for a store that cannot be reached; the URL is shown without credentials. */
export function unreachable(url: string, e: unknown): EnvironmentError {
  const code = (e as { code?: unknown } | null)?.code;
  const reason = secrets.redact(e instanceof Error ? e.message || String(code ?? '') : String(e));
  const auth = code === '28P01' || code === '28000' || /^ER_(DB)?ACCESS_DENIED/.test(String(code));
  const noDb = code === '3D000' || code === 'ER_BAD_DB_ERROR';
  const hint = auth
    ? 'Check the user and password in the plan\'s state.url (usually $MIGRATE_STATE_URL).'
    : noDb
      ? 'Create the database first (migrate creates its own migrate_* tables, not the database), or point state.url at an existing one.'
      : 'Check that the database is running and that state.url (usually $MIGRATE_STATE_URL) points at it.';
  return new EnvironmentError(`The state store at ${displayUrl(url)} cannot be used: ${reason}`, { hint, cause: e });
}

/** A unique or primary key refused the row: PostgreSQL 23505, MySQL/MariaDB ER_DUP_ENTRY (1062). */
export function isDuplicateKey(e: unknown): boolean {
  const err = e as { code?: unknown; errno?: unknown } | null;
  return err?.code === '23505' || err?.code === 'ER_DUP_ENTRY' || err?.errno === 1062;
}
