/**
 * The history in Jepsen's JSON form, for offline cross-checks (docs/history-checker.md):
 * Elle's rw-register model (`elle-cli --model rw-register`), each operation a one-micro-op
 * transaction on a register per key whose values are the versions.
 *
 *   {"index":0,"type":"invoke","f":"txn","value":[["w",17,3]],"process":0,"time":0}
 *   {"index":1,"type":"ok","f":"txn","value":[["w",17,3]],"process":0,"time":1830000}
 *   {"index":2,"type":"invoke","f":"txn","value":[["r",17,null]],"process":1,"time":2010000}
 *   {"index":3,"type":"ok","f":"txn","value":[["r",17,3]],"process":1,"time":2950000}
 *
 * Jepsen's rules are kept: a process runs one operation at a time (a recording process's
 * concurrent operations get distinct Jepsen processes), a process whose operation ended `info`
 * is never used again, `time` is ns since the first event, `index` counts from 0, and every invoke
 * gets a completion (`info` at the end for one whose completion was never recorded). Values present
 * before the run are written (with their versions, 0 for seeded ones) by one first transaction of
 * its own process.
 */
import type { Operation } from './format.js';
import type { VersionOf } from './checker.js';

export type JepsenType = 'invoke' | 'ok' | 'fail' | 'info';
export type MicroOp = ['r' | 'w', string | number, number | null];

export interface JepsenOp {
  index: number;
  type: JepsenType;
  f: 'txn';
  value: MicroOp[];
  process: number;
  time: number;
  error?: string;
}

export interface JepsenExport {
  ops: JepsenOp[];
  /** Jepsen process number → the recording process it stands for. */
  processes: Record<number, string>;
}

const jepsenKey = (op: Operation): string | number => (typeof op.key === 'number' || typeof op.key === 'string' ? op.key : op.keyText);

export function toJepsen(operations: Operation[], versionOf: VersionOf, initial: [key: string | number, version: number][] = []): JepsenExport {
  const version = (v: unknown): number | null => (v === null || v === undefined ? null : versionOf(v));
  interface Ev {
    wall: number;
    seq: number;
    op: Operation;
    phase: 'invoke' | 'complete';
  }
  const events: Ev[] = [];
  let seq = 0;
  const end = operations.reduce((m, o) => Math.max(m, o.completeWall ?? o.invokeWall), 0);
  for (const op of operations) {
    events.push({ wall: op.invokeWall, seq: seq++, op, phase: 'invoke' });
    // A completion never recorded is reported as info after everything else.
    events.push({ wall: op.completeWall ?? end, seq: op.completeWall === undefined ? Number.MAX_SAFE_INTEGER : seq++, op, phase: 'complete' });
  }
  // By time; at equal times in recording order (an op's invoke was pushed before its completion).
  events.sort((a, b) => a.wall - b.wall || a.seq - b.seq);
  const t0 = events.length > 0 ? events[0]!.wall : 0;
  const ns = (wall: number): number => Math.max(0, Math.round((wall - t0) * 1e6));

  const ops: JepsenOp[] = [];
  const processes: Record<number, string> = {};
  let nextProcess = 0;
  if (initial.length > 0) {
    const p = nextProcess++;
    processes[p] = '(initial state)';
    const value: MicroOp[] = initial.map(([k, v]) => ['w', k, v]);
    ops.push({ index: ops.length, type: 'invoke', f: 'txn', value, process: p, time: 0 });
    ops.push({ index: ops.length, type: 'ok', f: 'txn', value, process: p, time: 0 });
  }
  const free = new Map<string, number[]>();
  const assigned = new Map<Operation, number>();
  for (const e of events) {
    const op = e.op;
    const key = jepsenKey(op);
    if (e.phase === 'invoke') {
      const pool = free.get(op.process) ?? [];
      free.set(op.process, pool);
      const p = pool.pop() ?? nextProcess++;
      processes[p] = op.process;
      assigned.set(op, p);
      ops.push({ index: ops.length, type: 'invoke', f: 'txn', value: [op.f === 'read' ? ['r', key, null] : ['w', key, version(op.value)]], process: p, time: ns(e.wall) });
      continue;
    }
    const p = assigned.get(op)!;
    const type: JepsenType = op.type === 'unknown' ? 'info' : op.type;
    const value: MicroOp[] = [op.f === 'read' ? ['r', key, op.type === 'ok' ? version(op.value) : null] : ['w', key, version(op.value)]];
    const jop: JepsenOp = { index: ops.length, type, f: 'txn', value, process: p, time: ns(e.wall) };
    const error = op.error ?? (op.completeWall === undefined ? 'no completion recorded' : undefined);
    if (type !== 'ok' && error !== undefined) jop.error = error;
    ops.push(jop);
    // A crashed (info) process is never reused, as in Jepsen.
    if (type !== 'info') free.get(op.process)!.push(p);
  }
  return { ops, processes };
}

/** One op per line inside a JSON array: a valid JSON document that diffs well. */
export function jepsenJson(ops: JepsenOp[]): string {
  return `[${ops.map((o) => JSON.stringify(o)).join(',\n')}]\n`;
}
