/**
 * The history format (`tracer-history/v1`, docs/history-checker.md): one JSON-lines file per
 * recording process, a header line, then one line per event of an operation. Shared by the
 * recorder (which writes it), the loader and the checker (which read it).
 */

export const HISTORY_FORMAT = 'tracer-history/v1';

/** invoke, then exactly one of ok / fail (definitely not applied) / unknown (may or may not have been applied). */
export type EventType = 'invoke' | 'ok' | 'fail' | 'unknown';
export type OpKind = 'read' | 'write';

/** The first line of a file, and of every restart of a process that appends to the same file. */
export interface HeaderLine {
  format: typeof HISTORY_FORMAT;
  process: string;
  pid: number;
  /** Wall clock when the recorder started, ms since the epoch. */
  startedAt: number;
}

/** One event. `f` and `key` are on the invoke only; completions name their op by `op`. */
export interface EventLine {
  /** The op's number within this recording (this header's segment), from 0. */
  op: number;
  type: EventType;
  f?: OpKind;
  key?: unknown;
  /** invoke of a write: the value written; ok of a read: the value read (null when absent). */
  value?: unknown;
  /** Monotonic ns since the recorder started (process.hrtime); orders events within one process. */
  mono: number;
  /** Wall clock, ms since the epoch with µs precision; orders events across processes on one host. */
  wall: number;
  error?: string;
}

/** A completed (or never completed) operation, as the checker sees it. */
export interface Operation {
  /** The recording process (its header's name; `name#2` for a second recording in the same file). */
  process: string;
  f: OpKind;
  key: unknown;
  /** The key as text: numbers and strings as themselves, anything else as JSON. */
  keyText: string;
  /** Writes: the value written. Reads: the value read when ok (null when absent), else undefined. */
  value: unknown;
  /** A missing completion (the process died before it was flushed) is `unknown`. */
  type: 'ok' | 'fail' | 'unknown';
  invokeMono: number;
  invokeWall: number;
  /** Undefined when no completion was recorded. */
  completeMono?: number;
  completeWall?: number;
  error?: string;
}

export function keyText(key: unknown): string {
  return typeof key === 'string' || typeof key === 'number' || typeof key === 'bigint' ? String(key) : JSON.stringify(key);
}

/** JSON with object keys sorted, for comparing values whatever order their fields came in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
