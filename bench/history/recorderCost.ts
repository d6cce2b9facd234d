/**
 * What recording costs a consumer: `npx tsx bench/history/recorderCost.ts [ops]` times invoke + ok
 * of reads (buffered) and of writes (the invoke written through) into a temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHistoryRecorder } from './recorder.js';

const n = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'tracer-recorder-cost-'));
const value = { id: 17, status: 'v3', total: 1703, email: 'user17@example.com' };
try {
  for (const f of ['read', 'write'] as const) {
    const rec = openHistoryRecorder({ dir, process: `cost-${f}` });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      if (f === 'read') rec.ok(rec.invoke('read', 17), value);
      else rec.ok(rec.invoke('write', 17, value));
    }
    rec.close();
    const ms = performance.now() - t0;
    process.stdout.write(`${f}: ${n} operations in ${ms.toFixed(0)} ms, ${((ms * 1000) / n).toFixed(1)} µs each\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
