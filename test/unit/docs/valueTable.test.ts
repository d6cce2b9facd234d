/**
 * The value tables of docs/mapping-and-comparison.md against the fidelity corpus: every example in
 * a table must be exactly what the corpus test expects the service to store for the corpus column
 * the row names, so the documented forms cannot drift from the asserted ones.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXPECTED as PG } from '../../fixtures/fidelity/postgres.js';
import { EXPECTED as MYSQL } from '../../fixtures/fidelity/mysql.js';

const DOC = readFileSync(new URL('../../../docs/mapping-and-comparison.md', import.meta.url), 'utf8');

interface Row {
  type: string;
  columns: string[] | 'every' | 'none';
  examples: string[];
}

/** The rows of the table that follows `heading` (a line of its own). */
function table(heading: string): Row[] {
  const start = DOC.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no "${heading}" in the doc`);
  const lines = DOC.slice(start + heading.length + 2).split('\n');
  const header = lines.findIndex((l) => l.startsWith('|'));
  const rows: Row[] = [];
  // After the header line and the |---| line.
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    const spans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const corpus = cells[2]!;
    rows.push({ type: cells[0]!, columns: corpus === 'every column' ? 'every' : corpus === '—' ? 'none' : spans(corpus), examples: spans(cells[3] ?? '') });
  }
  return rows;
}

/** The `"column":value` pairs of a stored item's text, for top-level columns, exactly as written. */
function hasValue(items: Record<string, string>, column: string, value: string): boolean {
  return Object.values(items).some((text) => text.includes(`"${column}":${value},`) || text.endsWith(`"${column}":${value}}`));
}

describe.each([
  ['PostgreSQL 15:', PG],
  ['MariaDB 10.11 (and MySQL):', MYSQL],
] as const)('the value table under "%s"', (heading, items) => {
  const rows = table(heading);

  it('Given the table, When read, Then it has rows, and every row but the uncovered ones names corpus columns and examples', () => {
    expect(rows.length).toBeGreaterThan(15);
    for (const r of rows) if (r.columns !== 'none') expect(r.examples.length, r.type).toBeGreaterThan(0);
  });

  it('Given each example, When looked up in the corpus expectations, Then it is exactly the value stored for one of the row\'s corpus columns', () => {
    for (const r of rows) {
      if (r.columns === 'none') continue;
      if (r.columns === 'every') {
        const nullRow = items['5']!;
        const keys = [...nullRow.matchAll(/"([a-z0-9]+)":/g)].map((m) => m[1]!).filter((k) => k !== 'id');
        expect(keys.length).toBeGreaterThan(15);
        for (const k of keys) expect(hasValue({ nullRow }, k, r.examples[0]!), `${k} in the NULL row`).toBe(true);
        continue;
      }
      const columns = r.columns;
      for (const ex of r.examples) expect(columns.some((c) => hasValue(items, c, ex)), `${r.type}: ${ex} for ${columns.join(', ')}`).toBe(true);
    }
  });
});
