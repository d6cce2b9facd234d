import { describe, expect, it } from 'vitest';
import { exportFlagd, FLAGD_SCHEMA } from '../../../src/flags/flagd.js';

describe('exportFlagd', () => {
  it('Given no flags, when exported, then the document has the flagd schema and no flags', () => {
    expect(exportFlagd([])).toEqual({ $schema: 'https://flagd.dev/schema/v0/flags.json', flags: {} });
  });

  it('Given an enabled and a disabled flag, when exported, then each is a boolean flag whose default variant is its value', () => {
    const doc = exportFlagd([
      { name: 'orders.backfill', enabled: true },
      { name: 'customers.backfill', enabled: false },
    ]);
    expect(doc.flags).toEqual({
      'customers.backfill': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' },
      'orders.backfill': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' },
    });
  });

  it('Given a flag that is off, when exported, then its state stays ENABLED so flagd answers false rather than not-found', () => {
    expect(exportFlagd([{ name: 'x', enabled: false }]).flags.x?.state).toBe('ENABLED');
  });

  it('Given flags out of order, when exported, then the keys are in name order so the file diffs cleanly', () => {
    const doc = exportFlagd([
      { name: 'b', enabled: true },
      { name: 'a', enabled: true },
      { name: 'C', enabled: true },
    ]);
    expect(Object.keys(doc.flags)).toEqual(['C', 'a', 'b']);
  });

  it('Given flags with who and when, when exported, then they travel as flagd metadata', () => {
    const doc = exportFlagd([{ name: 'f', enabled: true, updatedBy: 'alice@host', updatedAt: new Date('2026-01-02T03:04:05.000Z') }]);
    expect(doc.flags.f?.metadata).toEqual({ updatedBy: 'alice@host', updatedAt: '2026-01-02T03:04:05.000Z' });
  });

  it('Given an export, when serialised and parsed, then it is the same plain JSON document', () => {
    const doc = exportFlagd([{ name: 'f', enabled: true }]);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    expect(doc.$schema).toBe(FLAGD_SCHEMA);
  });
});
