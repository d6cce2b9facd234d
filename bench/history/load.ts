/**
 * Reads recorded histories (every `*.jsonl` in the given directories whose first line is a
 * tracer-history header; others, such as failure logs, are listed as skipped) into operations. An invoke
 * without a completion — the process died before that line was written — becomes `unknown`; a torn
 * last line (a crash mid-write) is skipped and counted. Anything else unreadable is an error: a
 * history that cannot be trusted must not pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HISTORY_FORMAT, keyText, type EventLine, type HeaderLine, type Operation } from './format.js';

export interface LoadedHistory {
  operations: Operation[];
  /** One per recording (a file's header), named as the operations name their process. */
  processes: string[];
  files: string[];
  /** Invokes with no recorded completion (read as `unknown`). */
  incomplete: number;
  /** Torn last lines skipped. */
  tornLines: number;
  /** `*.jsonl` files that are not histories (their first line is no tracer-history header), e.g. a consumer's failure log. */
  skippedFiles: string[];
}

export class HistoryFormatError extends Error {
  override name = 'HistoryFormatError';
}

function isHeader(line: string | undefined): boolean {
  try {
    return line !== undefined && (JSON.parse(line) as { format?: unknown }).format === HISTORY_FORMAT;
  } catch {
    return false;
  }
}

export function historyFiles(dirs: string[]): string[] {
  return dirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .map((f) => join(d, f)),
  );
}

export function loadHistories(dirs: string[]): LoadedHistory {
  const files = historyFiles(dirs);
  const operations: Operation[] = [];
  const processes: string[] = [];
  const seen = new Map<string, number>();
  let incomplete = 0;
  let tornLines = 0;
  const skippedFiles: string[] = [];
  const histories: string[] = [];

  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (!isHeader(lines[0])) {
      skippedFiles.push(file);
      continue;
    }
    histories.push(file);
    let open: Map<number, Operation> | undefined;
    let proc = '';
    const closeSegment = (): void => {
      for (const op of open?.values() ?? []) {
        op.type = 'unknown';
        incomplete++;
      }
    };
    lines.forEach((text, i) => {
      const where = `${file}:${i + 1}`;
      let line: HeaderLine | EventLine;
      try {
        line = JSON.parse(text) as HeaderLine | EventLine;
      } catch {
        if (i === lines.length - 1) {
          tornLines++;
          return;
        }
        throw new HistoryFormatError(`${where}: not JSON`);
      }
      if ('format' in line) {
        if (line.format !== HISTORY_FORMAT) throw new HistoryFormatError(`${where}: format ${JSON.stringify(line.format)}, expected ${HISTORY_FORMAT}`);
        closeSegment();
        const n = (seen.get(line.process) ?? 0) + 1;
        seen.set(line.process, n);
        proc = n === 1 ? line.process : `${line.process}#${n}`;
        processes.push(proc);
        open = new Map();
        return;
      }
      if (open === undefined) throw new HistoryFormatError(`${where}: an event before the file's header`);
      if (line.type === 'invoke') {
        if ((line.f !== 'read' && line.f !== 'write') || line.key === undefined) throw new HistoryFormatError(`${where}: an invoke needs f (read|write) and key`);
        if (open.has(line.op)) throw new HistoryFormatError(`${where}: op ${line.op} invoked twice`);
        const op: Operation = {
          process: proc,
          f: line.f,
          key: line.key,
          keyText: keyText(line.key),
          value: line.f === 'write' ? line.value : undefined,
          type: 'unknown',
          invokeMono: line.mono,
          invokeWall: line.wall,
        };
        open.set(line.op, op);
        operations.push(op);
        return;
      }
      const op = open.get(line.op);
      if (op === undefined) throw new HistoryFormatError(`${where}: a ${line.type} of op ${line.op}, which was not invoked or already completed`);
      if (line.type !== 'ok' && line.type !== 'fail' && line.type !== 'unknown') throw new HistoryFormatError(`${where}: unknown event type ${JSON.stringify(line.type)}`);
      open.delete(line.op);
      op.type = line.type;
      op.completeMono = line.mono;
      op.completeWall = line.wall;
      if (op.f === 'read' && line.type === 'ok') op.value = line.value ?? null;
      if (line.error !== undefined) op.error = line.error;
    });
    closeSegment();
  }
  return { operations, processes, files: histories, incomplete, tornLines, skippedFiles };
}
