import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlagdCore, MemoryStorage } from '@openfeature/flagd-core';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRoutingDocument, describeRoute, RoutingStageError, stageOf, tidyRoutingDocument, type RoutingStage } from '../../../src/flags/routing.js';
import { parseRoutingDocument, RoutingDocumentError, RoutingEvaluator } from '../../../src/flags/routingEvaluator.js';
import { routingKey } from '../../../src/flags/routingKey.js';

/** The contract's example: shadow for two consumers, 10 % of keys on new for a third. */
const canary: RoutingStage = {
  plan: 'orders-to-fulfillment',
  entity: 'orders',
  epoch: 7,
  reads: { reporting: 'shadow', 'support-ui': 'shadow', billing: { new: 10 } },
  writes: 'legacy',
};

/**
 * flagd's documented `fractional` rule, written out independently of flagd-core: MurmurHash3
 * (x86, 32-bit, seed 0) of flag key + targeting key (ASCII, one byte per character), bucket =
 * hash × total weight / 2^32, variants' weights accumulated in list order.
 */
function murmur3(text: string): number {
  const bytes = Buffer.from(text, 'latin1');
  let h = 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const whole = bytes.length - (bytes.length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = bytes.length % 4;
  if (rest >= 3) k ^= bytes[whole + 2]! << 16;
  if (rest >= 2) k ^= bytes[whole + 1]! << 8;
  if (rest >= 1) {
    k ^= bytes[whole]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Where a consumer of the canary stage reads `key`, by hand: shadow, legacy, or the fractional rule for billing. */
function expectedRead(key: string, consumer: string, percentNew: number): string {
  if (consumer === 'reporting' || consumer === 'support-ui') return 'shadow';
  if (consumer !== 'billing') return 'legacy';
  const bucket = Number((BigInt(murmur3(`orders.reads${key}`)) * 100n) >> 32n);
  return bucket < 100 - percentNew ? 'legacy' : 'new';
}

const dir = mkdtempSync(join(tmpdir(), 'routing-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** flagd-core's answer for a document file read back from disk, built apart from RoutingEvaluator. */
function flagdFromFile(path: string): (key: string, consumer: string) => string {
  const storage = new MemoryStorage({ error() {}, warn() {}, info() {}, debug() {} });
  storage.setConfigurations(readFileSync(path, 'utf8'), true);
  const core = new FlagdCore(storage);
  return (key, consumer) => {
    const r = core.resolveStringEvaluation('orders.reads', 'ERROR', { targetingKey: key, consumer });
    if (r.reason === 'ERROR') throw new Error(r.errorMessage);
    return r.value;
  };
}

describe('buildRoutingDocument', () => {
  it('Given shadow for two consumers and 10 % new for a third, when built, then it is the flagd document of the contract', () => {
    expect(buildRoutingDocument(canary)).toEqual({
      $schema: 'https://flagd.dev/schema/v0/flags.json',
      metadata: { tracerPlan: 'orders-to-fulfillment', tracerEntity: 'orders', tracerEpoch: 7 },
      flags: {
        'orders.reads': {
          state: 'ENABLED',
          variants: { legacy: 'legacy', shadow: 'shadow', new: 'new' },
          defaultVariant: 'legacy',
          targeting: {
            if: [
              { '==': [{ var: 'consumer' }, 'billing'] },
              { fractional: [['legacy', 90], ['new', 10]] },
              { in: [{ var: 'consumer' }, ['reporting', 'support-ui']] },
              'shadow',
              'legacy',
            ],
          },
        },
        'orders.writes': {
          state: 'ENABLED',
          variants: { legacy: 'legacy', dual: 'dual', new: 'new', fenced: 'fenced' },
          defaultVariant: 'legacy',
        },
      },
    });
  });

  it('Given every consumer on the same side, when built, then the reads flag has no targeting and that side as default', () => {
    const doc = buildRoutingDocument({ plan: 'p', entity: 'orders', epoch: 3, reads: { a: 'new', b: 'new' }, otherReads: 'new', writes: 'new' });
    expect(doc.flags['orders.reads']).toEqual({ state: 'ENABLED', variants: { legacy: 'legacy', shadow: 'shadow', new: 'new' }, defaultVariant: 'new' });
    expect(doc.flags['orders.writes']?.defaultVariant).toBe('new');
  });

  it('Given a percent for every consumer, when built, then the targeting is the fractional rule alone with legacy as default', () => {
    const doc = buildRoutingDocument({ plan: 'p', entity: 'orders', epoch: 1, reads: {}, otherReads: { new: 25 }, writes: 'legacy' });
    expect(doc.flags['orders.reads']?.targeting).toEqual({ fractional: [['legacy', 75], ['new', 25]] });
    expect(doc.flags['orders.reads']?.defaultVariant).toBe('legacy');
  });

  it('Given an invalid stage, when built, then the error names the field to fix', () => {
    const bad = (s: Partial<RoutingStage>) => () => buildRoutingDocument({ ...canary, ...s });
    expect(bad({ epoch: 0 })).toThrow(RoutingStageError);
    expect(bad({ epoch: 0 })).toThrow(/^epoch:/);
    expect(bad({ reads: { billing: { new: 10.5 } } })).toThrow(/^reads\.billing\.new: must be a whole percent/);
    expect(bad({ reads: { billing: { new: 101 } } })).toThrow(/reads\.billing\.new/);
    expect(bad({ reads: { billing: 'half' as never } })).toThrow(/^reads\.billing: must be one of legacy, shadow, new/);
    expect(bad({ writes: 'both' as never })).toThrow(/^writes:/);
  });

  it('Given a built document, when read back with stageOf, then it gives the routes it was built from', () => {
    expect(stageOf(buildRoutingDocument(canary))).toEqual({ ...canary, otherReads: 'legacy' });
    const all = { plan: 'p', entity: 'e', epoch: 2, reads: {}, otherReads: { new: 40 }, writes: 'dual' } as const;
    expect(stageOf(buildRoutingDocument(all))).toEqual(all);
  });

  it('Given a document whose targeting was edited by hand into another shape, when read with stageOf, then it answers undefined rather than guessing', () => {
    const doc = buildRoutingDocument(canary);
    doc.flags['orders.reads']!.targeting = { if: [{ '>': [{ var: 'region' }, 'eu'] }, 'new', 'legacy'] };
    expect(stageOf(doc)).toBeUndefined();
  });

  it('Given a document whose keys a store reordered (as jsonb does), when tidied, then it serialises exactly as built', () => {
    const built = buildRoutingDocument(canary);
    const shuffle = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(shuffle) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, shuffle(x)])) : v;
    const reordered = shuffle(built) as typeof built;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(built));
    expect(JSON.stringify(tidyRoutingDocument(reordered))).toBe(JSON.stringify(built));
  });

  it('Given a fenced stage with a hold, when built, then the writes flag carries tracerFence hold and its hold time, flagd-core accepts it, and stageOf gives the hold back', () => {
    const fenced: RoutingStage = { ...canary, epoch: 8, reads: { billing: 'new' }, otherReads: 'new', writes: 'fenced', fenceHold: { holdMs: 4000 } };
    const doc = buildRoutingDocument(fenced);
    expect(doc.flags['orders.writes']).toEqual({
      state: 'ENABLED',
      variants: { legacy: 'legacy', dual: 'dual', new: 'new', fenced: 'fenced' },
      defaultVariant: 'fenced',
      metadata: { tracerFence: 'hold', tracerFenceHoldMs: 4000 },
    });
    expect(new RoutingEvaluator(parseRoutingDocument(JSON.stringify(doc), 'test')).writes()).toBe('fenced');
    expect(stageOf(doc)).toEqual({ ...fenced, reads: {} });
    expect(JSON.stringify(tidyRoutingDocument(JSON.parse(JSON.stringify(doc)) as typeof doc))).toBe(JSON.stringify(doc));
  });

  it('Given a stage without a hold, when built, then the writes flag has no metadata', () => {
    expect(buildRoutingDocument({ ...canary, writes: 'fenced' }).flags['orders.writes']).not.toHaveProperty('metadata');
  });

  it('Given routes, when described for a listing, then a percent reads "new N%"', () => {
    expect(describeRoute('shadow')).toBe('shadow');
    expect(describeRoute({ new: 10 })).toBe('new 10%');
  });
});

describe('RoutingEvaluator and flagd-core agree on every key', () => {
  const keys = Array.from({ length: 10_000 }, (_, i) => i + 1);
  const consumers = ['reporting', 'support-ui', 'billing', 'warehouse'];

  it('Given the canary document exported to a file, when 10,000 keys are routed by Tracer, by flagd-core from the file and by hand, then all three agree', () => {
    const doc = buildRoutingDocument(canary);
    const file = join(dir, 'orders.flagd.json');
    writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
    const fromFile = flagdFromFile(file);
    const tracer = new RoutingEvaluator(parseRoutingDocument(readFileSync(file, 'utf8'), file));

    let billingNew = 0;
    const disagreements: string[] = [];
    for (const key of keys) {
      for (const consumer of consumers) {
        const ours = tracer.read(key, consumer);
        const flagd = fromFile(routingKey(key), consumer);
        const byHand = expectedRead(String(key), consumer, 10);
        if (ours !== flagd || ours !== byHand) disagreements.push(`${key}/${consumer}: tracer ${ours}, flagd ${flagd}, by hand ${byHand}`);
        if (consumer === 'billing' && ours === 'new') billingNew++;
      }
    }
    expect(disagreements).toEqual([]);
    // 10 % of 10,000 keys, within five standard deviations (σ = 30) of a fair bucketing.
    expect(billingNew).toBeGreaterThan(850);
    expect(billingNew).toBeLessThan(1150);
    expect(tracer.writes()).toBe('legacy');
    expect(tracer.epoch).toBe(7);
  });

  it('Given billing raised from 10 % to 20 % new, when the same keys are routed, then every key that was new stays new and others join', () => {
    const before = new RoutingEvaluator(buildRoutingDocument(canary));
    const after = new RoutingEvaluator(buildRoutingDocument({ ...canary, epoch: 8, reads: { ...canary.reads, billing: { new: 20 } } }));
    let newBefore = 0;
    let newAfter = 0;
    const movedBack: number[] = [];
    for (const key of keys) {
      const a = before.read(key, 'billing');
      const b = after.read(key, 'billing');
      if (a === 'new') newBefore++;
      if (b === 'new') newAfter++;
      if (a === 'new' && b !== 'new') movedBack.push(key);
      expect(b).toBe(expectedRead(String(key), 'billing', 20));
    }
    expect(movedBack).toEqual([]);
    expect(newAfter).toBeGreaterThan(newBefore + 700);
    expect(after.epoch).toBe(8);
  });

  it('Given composite keys, when routed, then Tracer and flagd-core agree using the shared routingKey', () => {
    const doc = buildRoutingDocument({ ...canary, reads: { billing: { new: 50 } } });
    const file = join(dir, 'composite.flagd.json');
    writeFileSync(file, JSON.stringify(doc));
    const fromFile = flagdFromFile(file);
    const tracer = new RoutingEvaluator(doc);
    for (let i = 0; i < 500; i++) {
      const key = [i, i % 2 === 0 ? 'EU' : 'a|b'] as const;
      expect(tracer.read(key, 'billing')).toBe(fromFile(routingKey(key), 'billing'));
      expect(tracer.read(key, 'billing')).toBe(expectedRead(routingKey(key), 'billing', 50));
    }
  });

  it('Given each write variant, when evaluated, then writes() answers it', () => {
    for (const w of ['legacy', 'dual', 'new', 'fenced'] as const) expect(new RoutingEvaluator(buildRoutingDocument({ ...canary, writes: w })).writes()).toBe(w);
  });
});

describe('parseRoutingDocument', () => {
  const good = JSON.stringify(buildRoutingDocument(canary));

  it('Given a built document as text, when parsed, then it is accepted unchanged', () => {
    expect(parseRoutingDocument(good, 'orders.json')).toEqual(JSON.parse(good));
  });

  it('Given text that is not JSON, when parsed, then the error names where it came from', () => {
    expect(() => parseRoutingDocument('{', 'http://w:8080/routing/orders')).toThrow(/^http:\/\/w:8080\/routing\/orders is not JSON/);
  });

  it('Given a flagd document without the tracer epoch, when parsed, then it is refused naming the field', () => {
    const doc = JSON.parse(good);
    delete doc.metadata.tracerEpoch;
    expect(() => parseRoutingDocument(JSON.stringify(doc), 'f.json')).toThrow(/metadata\.tracerEpoch/);
  });

  it('Given a document missing the writes flag, when parsed, then it is refused naming the flag', () => {
    const doc = JSON.parse(good);
    delete doc.flags['orders.writes'];
    expect(() => parseRoutingDocument(JSON.stringify(doc), 'f.json')).toThrow(/flags\.orders\.writes is missing/);
  });

  it('Given a reads flag without the shadow variant, when parsed, then it is refused', () => {
    const doc = JSON.parse(good);
    delete doc.flags['orders.reads'].variants.shadow;
    expect(() => parseRoutingDocument(JSON.stringify(doc), 'f.json')).toThrow(RoutingDocumentError);
  });

  it('Given a document flagd itself rejects (state "ON"), when parsed, then it is refused as invalid flagd', () => {
    const doc = JSON.parse(good);
    doc.flags['orders.reads'].state = 'ON';
    expect(() => parseRoutingDocument(JSON.stringify(doc), 'f.json')).toThrow(/f\.json is not valid flagd/);
  });
});
