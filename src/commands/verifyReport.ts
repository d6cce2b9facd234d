/**
 * The verification report as text: an aligned table for terminals, `key: value` lines for logs.
 * Both are drawn from the stored document only; sample values were redacted before it was stored.
 */
import type { VerificationReport } from '../ops/verifyRuns.js';

const pct = (x: number): string => `${(x * 100).toFixed(4).replace(/\.?0+$/, '')}%`;

/** Lines of a report; `table` for a TTY. */
export function reportLines(id: string, r: VerificationReport, table: boolean): string[] {
  const t = r.totals;
  const verdict = r.passed ? 'PASSED' : 'FAILED';
  const rows: [string, string][] = [
    ['report', id],
    ['entity', r.entity],
    ['run', r.run],
    ['verdict', `${verdict} (persistent rate ${pct(r.persistentRate)}, threshold ${pct(r.threshold)})`],
    ['compared', String(t.compared)],
    ['matched', String(t.matched)],
    ['missing', String(t.missing)],
    ['different', String(t.different)],
    ['extra', r.extras.checked ? String(t.extra) : `not checked (${r.extras.note ?? 'no list endpoint'})`],
    ['transient', String(t.transient)],
    ['persistent', String(t.persistent)],
    ['repaired', String(t.repaired)],
    ['duration', `${(r.durationMs / 1000).toFixed(1)}s (${r.rowsPerSec} rows/s overall, ${r.sweepRowsPerSec} rows/s sweeping)`],
  ];
  if (r.options.sample !== undefined) rows.push(['sample', String(r.options.sample)]);
  if (r.options.since !== undefined) rows.push(['since', r.options.since]);
  if (r.repairOf) rows.push(['repair of', r.repairOf]);
  const fields = Object.entries(r.fields).sort((a, b) => b[1] - a[1]);
  const out: string[] = [];
  if (table) {
    const w = Math.max(...rows.map(([k]) => k.length));
    out.push(...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`));
    if (fields.length > 0) {
      out.push('', 'FIELD'.padEnd(24) + '  PERSISTENT');
      for (const [f, n] of fields) out.push(`${f.padEnd(24)}  ${n}`);
    }
    if (r.samples.length > 0) {
      out.push('', 'CLASS'.padEnd(10) + '  ' + 'KEY'.padEnd(16) + '  FIELDS');
      for (const s of r.samples) out.push(`${s.class.padEnd(10)}  ${JSON.stringify(s.key).padEnd(16)}  ${s.fields.join(', ')}`);
    }
  } else {
    out.push(...rows.map(([k, v]) => `${k}: ${v}`));
    for (const [f, n] of fields) out.push(`field ${f}: ${n}`);
    for (const s of r.samples) {
      out.push(`sample ${s.class} ${JSON.stringify(s.key)} fields=${s.fields.join(',')}${s.expected ? ` expected=${JSON.stringify(s.expected)}` : ''}${s.actual ? ` actual=${JSON.stringify(s.actual)}` : ''}`);
    }
  }
  return out;
}
