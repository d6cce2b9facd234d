/**
 * Records every operation of one process as invoke, then ok / fail / unknown, appended to
 * `<dir>/<process>.jsonl` (format in ./format.ts, docs/history-checker.md).
 *
 * Cheap on purpose: lines are buffered and written with one `writeSync` every `flushEveryMs` or
 * `flushBytes`, never fsynced; the buffer is written on `close()` and on the process's `exit`
 * event. A crash (SIGKILL) loses at most the unwritten tail, and the checker reads an invoke whose
 * completion is missing as `unknown` — which is what it was to anyone watching. One exception: a
 * write's invoke is written (with everything before it) before the write starts, so a crashed
 * process never leaves a value in a store that its history does not name.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HISTORY_FORMAT, type EventLine, type HeaderLine, type OpKind } from './format.js';

export interface RecorderOptions {
  dir: string;
  /** Names this process in the history, e.g. `billing-4242`; also the file name. */
  process: string;
  /** Default 200 ms. */
  flushEveryMs?: number;
  /** Default 64 KiB. */
  flushBytes?: number;
}

/** How a failed write ended: `fail` only when it certainly had no effect (e.g. rejected before it started). */
export type FailureClass = 'fail' | 'unknown';

export interface HistoryRecorder {
  readonly process: string;
  readonly file: string;
  invoke(f: OpKind, key: unknown, value?: unknown): number;
  /** A read's value (null when absent); nothing for a write. */
  ok(op: number, value?: unknown): void;
  fail(op: number, error?: unknown): void;
  unknown(op: number, error?: unknown): void;
  /** Runs a read and records it; a read has no effect, so its errors are recorded as `fail`. */
  read<T>(key: unknown, run: () => Promise<T>): Promise<T>;
  /** Runs a write of `value` and records it; `classify` says whether an error means "not applied" (default: unknown). */
  write<R>(key: unknown, value: unknown, run: () => Promise<R>, classify?: (error: unknown) => FailureClass): Promise<R>;
  /** Writes the buffered lines now. */
  flush(): void;
  close(): void;
}

const errorText = (e: unknown): string | undefined => (e === undefined ? undefined : e instanceof Error ? `${e.name}: ${e.message}` : String(e));

export function openHistoryRecorder(options: RecorderOptions): HistoryRecorder {
  if (!/^[A-Za-z0-9._-]+$/.test(options.process)) throw new Error(`history recorder: process name ${JSON.stringify(options.process)} must match [A-Za-z0-9._-]+`);
  mkdirSync(options.dir, { recursive: true });
  const file = join(options.dir, `${options.process}.jsonl`);
  const fd = openSync(file, 'a');
  const flushBytes = options.flushBytes ?? 64 * 1024;
  const start = process.hrtime.bigint();
  const wall = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
  const mono = (): number => Number(process.hrtime.bigint() - start);

  let buffer: string[] = [];
  let bytes = 0;
  let closed = false;
  let next = 0;

  const flush = (): void => {
    if (buffer.length === 0) return;
    const text = buffer.join('');
    buffer = [];
    bytes = 0;
    writeSync(fd, text);
  };
  const append = (line: HeaderLine | EventLine): void => {
    if (closed) return;
    const text = `${JSON.stringify(line)}\n`;
    buffer.push(text);
    bytes += text.length;
    if (bytes >= flushBytes) flush();
  };
  const event = (op: number, type: EventLine['type'], extra: Partial<EventLine>): void => {
    append({ op, type, ...extra, mono: mono(), wall: wall() });
  };

  append({ format: HISTORY_FORMAT, process: options.process, pid: process.pid, startedAt: wall() });
  const timer = setInterval(flush, options.flushEveryMs ?? 200);
  timer.unref();
  const onExit = (): void => flush();
  process.on('exit', onExit);

  const recorder: HistoryRecorder = {
    process: options.process,
    file,
    invoke(f, key, value) {
      const op = next++;
      event(op, 'invoke', value === undefined ? { f, key } : { f, key, value });
      // One write(2), no fsync: the kernel keeps it when the process dies.
      if (f === 'write') flush();
      return op;
    },
    ok(op, value) {
      event(op, 'ok', value === undefined ? {} : { value });
    },
    fail(op, error) {
      const e = errorText(error);
      event(op, 'fail', e === undefined ? {} : { error: e });
    },
    unknown(op, error) {
      const e = errorText(error);
      event(op, 'unknown', e === undefined ? {} : { error: e });
    },
    async read(key, run) {
      const op = recorder.invoke('read', key);
      try {
        const value = await run();
        recorder.ok(op, value ?? null);
        return value;
      } catch (e) {
        recorder.fail(op, e);
        throw e;
      }
    },
    async write(key, value, run, classify) {
      const op = recorder.invoke('write', key, value);
      try {
        const result = await run();
        recorder.ok(op);
        return result;
      } catch (e) {
        if ((classify?.(e) ?? 'unknown') === 'fail') recorder.fail(op, e);
        else recorder.unknown(op, e);
        throw e;
      }
    },
    flush,
    close() {
      if (closed) return;
      flush();
      closed = true;
      clearInterval(timer);
      process.off('exit', onExit);
      closeSync(fd);
    },
  };
  return recorder;
}
