import { describe, expect, it } from 'vitest';
import { FlagdCore, MemoryStorage } from '@openfeature/flagd-core';
import { exportFlagd, FLAGD_SCHEMA } from '../../../src/flags/flagd.js';
import { buildRoutingDocument } from '../../../src/flags/routing.js';
import { RoutingEvaluator } from '../../../src/flags/routingEvaluator.js';

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

describe('exportFlagd with routing documents', () => {
  const routing = buildRoutingDocument({ plan: 'p', entity: 'orders', epoch: 4, reads: { billing: { new: 10 } }, writes: 'dual' });

  it('Given a boolean flag and a routing document, when exported, then the file holds both, the routing flags carrying plan, entity and epoch', () => {
    const doc = exportFlagd([{ name: 'orders.backfill', enabled: true }], [routing]);
    expect(Object.keys(doc.flags)).toEqual(['orders.backfill', 'orders.reads', 'orders.writes']);
    expect(doc.flags['orders.writes']).toEqual({
      state: 'ENABLED',
      variants: { legacy: 'legacy', dual: 'dual', new: 'new', fenced: 'fenced' },
      defaultVariant: 'dual',
      metadata: { tracerPlan: 'p', tracerEntity: 'orders', tracerEpoch: 4 },
    });
    expect(doc.flags['orders.reads']).toMatchObject({ targeting: { if: [{ '==': [{ var: 'consumer' }, 'billing'] }, { fractional: [['legacy', 90], ['new', 10]] }, 'legacy'] } });
  });

  it('Given the combined export, when flagd-core loads it strictly, then it accepts it and routes a key as the routing document does', () => {
    const storage = new MemoryStorage({ error() {}, warn() {}, info() {}, debug() {} });
    storage.setConfigurations(JSON.stringify(exportFlagd([{ name: 'orders.backfill', enabled: false }], [routing])), true);
    const core = new FlagdCore(storage);
    const single = new RoutingEvaluator(routing);
    for (let key = 1; key <= 200; key++) expect(core.resolveStringEvaluation('orders.reads', 'x', { targetingKey: String(key), consumer: 'billing' }).value).toBe(single.read(key, 'billing'));
    expect(core.resolveBooleanEvaluation('orders.backfill', true, {}).value).toBe(false);
  });

  it('Given a boolean flag named like a routing flag, when exported together, then it is refused naming the flag', () => {
    expect(() => exportFlagd([{ name: 'orders.reads', enabled: true }], [routing])).toThrow(/orders\.reads is both a boolean flag and a routing flag/);
  });
});
