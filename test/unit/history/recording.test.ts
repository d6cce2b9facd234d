/**
 * The recorder's files, read back by the loader, and the Jepsen export of what it read.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statusVersion } from '../../../bench/history/checker.js';
import { HISTORY_FORMAT, type Operation } from '../../../bench/history/format.js';
import { toJepsen } from '../../../bench/history/jepsen.js';
import { loadHistories } from '../../../bench/history/load.js';
import { openHistoryRecorder } from '../../../bench/history/recorder.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tracer-history-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('recording histories', () => {
  it('given a recorder, when a process reads, writes, fails and is fenced, then the loader reads back each operation with its outcome in order', async () => {
    const dir = tempDir();
    const rec = openHistoryRecorder({ dir, process: 'billing-1' });
    await rec.write(7, { id: 7, status: 'v1' }, async () => undefined);
    expect(await rec.read(7, async () => ({ id: 7, status: 'v1' }))).toEqual({ id: 7, status: 'v1' });
    await rec.read(8, async () => null);
    await expect(rec.write(7, { id: 7, status: 'v2' }, () => Promise.reject(new Error('socket hang up')))).rejects.toThrow('socket hang up');
    await expect(rec.write(7, { id: 7, status: 'v3' }, () => Promise.reject(new Error('fenced')), () => 'fail')).rejects.toThrow('fenced');
    rec.close();

    const h = loadHistories([dir]);
    expect(h.processes).toEqual(['billing-1']);
    expect(h.operations.map((o) => [o.f, o.keyText, o.type, o.value, o.error])).toEqual([
      ['write', '7', 'ok', { id: 7, status: 'v1' }, undefined],
      ['read', '7', 'ok', { id: 7, status: 'v1' }, undefined],
      ['read', '8', 'ok', null, undefined],
      ['write', '7', 'unknown', { id: 7, status: 'v2' }, 'Error: socket hang up'],
      ['write', '7', 'fail', { id: 7, status: 'v3' }, 'Error: fenced'],
    ]);
    for (const o of h.operations) expect(o.completeMono!).toBeGreaterThanOrEqual(o.invokeMono);
    expect(h.incomplete).toBe(0);
  });

  it('given a recorder that has not flushed yet, then reads and completions stay buffered until it flushes', () => {
    const dir = tempDir();
    const rec = openHistoryRecorder({ dir, process: 'p', flushEveryMs: 60_000 });
    rec.ok(rec.invoke('read', 1), null);
    expect(readFileSync(rec.file, 'utf8')).toBe('');
    rec.flush();
    expect(readFileSync(rec.file, 'utf8').trim().split('\n')).toHaveLength(3);
    rec.close();
  });

  it('given a write invoked, then its invoke is in the file before the write runs (a crash cannot leave a value its history does not name)', () => {
    const dir = tempDir();
    const rec = openHistoryRecorder({ dir, process: 'p', flushEveryMs: 60_000 });
    rec.invoke('write', 1, { status: 'v1' });
    const lines = readFileSync(rec.file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!)).toMatchObject({ op: 0, type: 'invoke', f: 'write', key: 1, value: { status: 'v1' } });
    rec.close();
  });

  it('given a file cut by a crash (an invoke with no completion, a torn last line) and a restart appending to it, then the open op is unknown and the restart is a process of its own', () => {
    const dir = tempDir();
    const header = (pid: number) => JSON.stringify({ format: HISTORY_FORMAT, process: 'billing', pid, startedAt: 1000 });
    writeFileSync(
      join(dir, 'billing.jsonl'),
      [
        header(1),
        JSON.stringify({ op: 0, type: 'invoke', f: 'write', key: 1, value: { status: 'v1' }, mono: 0, wall: 1000 }),
        JSON.stringify({ op: 0, type: 'ok', mono: 5, wall: 1000.005 }),
        JSON.stringify({ op: 1, type: 'invoke', f: 'write', key: 1, value: { status: 'v2' }, mono: 9, wall: 1000.009 }),
        header(2),
        JSON.stringify({ op: 0, type: 'invoke', f: 'read', key: 1, mono: 0, wall: 2000 }),
        JSON.stringify({ op: 0, type: 'ok', value: { status: 'v1' }, mono: 3, wall: 2000.003 }),
      ].join('\n') + '\n',
    );
    appendFileSync(join(dir, 'billing.jsonl'), '{"op":1,"type":"inv');
    const h = loadHistories([dir]);
    expect(h.processes).toEqual(['billing', 'billing#2']);
    expect(h.operations.map((o) => [o.process, o.f, o.type])).toEqual([
      ['billing', 'write', 'ok'],
      ['billing', 'write', 'unknown'],
      ['billing#2', 'read', 'ok'],
    ]);
    expect(h.incomplete).toBe(1);
    expect(h.tornLines).toBe(1);
  });

  it('given another JSON-lines file in the directory (a consumer failure log), then it is skipped and named, not read as a history', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'billing.failures.jsonl'), '{"kind":"failure","id":1}\n');
    writeFileSync(join(dir, 'p.jsonl'), `${JSON.stringify({ format: HISTORY_FORMAT, process: 'p', pid: 1, startedAt: 0 })}\n`);
    const h = loadHistories([dir]);
    expect(h.files).toEqual([join(dir, 'p.jsonl')]);
    expect(h.skippedFiles).toEqual([join(dir, 'billing.failures.jsonl')]);
  });

  it('given an unreadable line that is not the last, then loading refuses the history', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'p.jsonl'), `${JSON.stringify({ format: HISTORY_FORMAT, process: 'p', pid: 1, startedAt: 0 })}\nnot json\n{}\n`);
    expect(() => loadHistories([dir])).toThrow(/p\.jsonl:2: not JSON/);
  });
});

describe('Jepsen export', () => {
  const op = (process: string, f: 'read' | 'write', v: number | null, at: number, done: number | undefined, type: Operation['type'] = 'ok'): Operation => ({
    process,
    f,
    key: 5,
    keyText: '5',
    value: v === null ? null : { status: `v${v}` },
    type,
    invokeWall: at,
    invokeMono: 0,
    ...(done !== undefined ? { completeWall: done, completeMono: 1 } : {}),
  });

  it('given concurrent operations of one process, an unknown write and an initial value, then it writes rw-register transactions in time order with one operation per Jepsen process at a time', () => {
    const history = [
      op('billing', 'write', 1, 1000, 1002),
      op('billing', 'read', 1, 1001, 1003),
      op('support', 'write', 2, 1004, undefined, 'unknown'),
      op('billing', 'read', null, 1005, 1005.5, 'fail'),
    ];
    history[3]!.error = 'Error: timeout';
    const { ops, processes } = toJepsen(history, statusVersion(), [[5, 0]]);
    expect(ops).toEqual([
      { index: 0, type: 'invoke', f: 'txn', value: [['w', 5, 0]], process: 0, time: 0 },
      { index: 1, type: 'ok', f: 'txn', value: [['w', 5, 0]], process: 0, time: 0 },
      { index: 2, type: 'invoke', f: 'txn', value: [['w', 5, 1]], process: 1, time: 0 },
      { index: 3, type: 'invoke', f: 'txn', value: [['r', 5, null]], process: 2, time: 1_000_000 },
      { index: 4, type: 'ok', f: 'txn', value: [['w', 5, 1]], process: 1, time: 2_000_000 },
      { index: 5, type: 'ok', f: 'txn', value: [['r', 5, 1]], process: 2, time: 3_000_000 },
      { index: 6, type: 'invoke', f: 'txn', value: [['w', 5, 2]], process: 3, time: 4_000_000 },
      { index: 7, type: 'invoke', f: 'txn', value: [['r', 5, null]], process: 2, time: 5_000_000 },
      { index: 8, type: 'fail', f: 'txn', value: [['r', 5, null]], process: 2, time: 5_500_000, error: 'Error: timeout' },
      { index: 9, type: 'info', f: 'txn', value: [['w', 5, 2]], process: 3, time: 5_500_000, error: 'no completion recorded' },
    ]);
    expect(processes).toEqual({ 0: '(initial state)', 1: 'billing', 2: 'billing', 3: 'support' });
  });
});
