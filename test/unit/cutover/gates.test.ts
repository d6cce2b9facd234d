/**
 * A cutover stage's gate on hand-made evidence: pass, fail or inconclusive, and the exact words of
 * what is missing. Expected bounds are computed by hand from the Wilson score formula at z = 1.96.
 */
import { describe, expect, it } from 'vitest';
import { evaluateGate, samplesForBound, unacknowledged, wilsonInterval, type ConsumerEvidence, type GateEvidence } from '../../../src/cutover/gates.js';
import type { ResolvedStage } from '../../../src/cutover/stages.js';

const NOW = 1_800_000_000_000;

function stage(extra: Partial<ResolvedStage> = {}): ResolvedStage {
  return {
    index: 0,
    name: 'shadow',
    reads: { billing: 'shadow', reporting: 'shadow' },
    writes: 'legacy',
    switchesWrites: false,
    scope: ['billing', 'reporting'],
    gate: { maxMismatchRate: 0.01, minSamples: 1000, bakeMs: 0, approval: false },
    ...extra,
  };
}

function consumer(epoch: number | null, shadow: Partial<ConsumerEvidence['shadow']> = {}, extra: Partial<ConsumerEvidence> = {}): ConsumerEvidence {
  return {
    instances: [{ instance: 'h:1', epoch, updatedAt: NOW - 1_000, inFlightWrites: 0, routingStale: false }],
    shadow: { match: 0, mismatch: 0, candidateError: 0, timeout: 0, ...shadow },
    readsNew: 0,
    ...extra,
  };
}

function evidence(consumers: Record<string, ConsumerEvidence>, extra: Partial<GateEvidence> = {}): GateEvidence {
  return { epoch: 7, at: NOW, consumers, ...extra };
}

const clean = (n: number) => ({ match: n, mismatch: 0 });

describe('Wilson score bound', () => {
  it('Given 5 mismatches in 1000 comparisons, when bounded at z 1.96, then the interval is 0.21375 %–1.16511 %', () => {
    const { lower, upper } = wilsonInterval(5, 1000);
    expect(lower).toBeCloseTo(0.0021375, 6);
    expect(upper).toBeCloseTo(0.0116511, 6);
  });

  it('Given no mismatch in 1000 comparisons, when bounded, then the upper bound is z²/(n + z²) = 3.8416/1003.8416', () => {
    expect(wilsonInterval(0, 1000).upper).toBeCloseTo(0.0038269, 6);
  });

  it('Given no mismatch so far and a limit of 0.1 %, when asked how many clean comparisons the bound needs, then 3838 (z²·(1−0.001)/0.001 = 3837.8)', () => {
    expect(samplesForBound(0, 500, 0.001)).toBe(3838);
  });

  it('Given an observed rate at or above the limit, when asked, then no number of samples gets the bound under it', () => {
    expect(samplesForBound(20, 1000, 0.01)).toBeUndefined();
  });
});

describe('gate verdicts', () => {
  it('Given billing 588 clean comparisons of the 1000 asked and no rate limit, when the gate is evaluated, then it is inconclusive: 412 more samples from billing', () => {
    const s = stage({ gate: { minSamples: 1000, bakeMs: 0, approval: false } });
    const r = evaluateGate('orders', s, evidence({ billing: consumer(7, clean(588)), reporting: consumer(7, clean(1000)) }));
    expect(r.verdict).toBe('inconclusive');
    expect(r.missing).toEqual(['412 more samples from billing']);
  });

  it('Given a consumer that never reported, when the gate is evaluated, then it is inconclusive naming the epoch and the consumer', () => {
    const r = evaluateGate('orders', stage(), evidence({ billing: consumer(7, clean(5000)) }));
    expect(r.verdict).toBe('inconclusive');
    expect(r.missing).toContain('no acknowledgement of epoch 7 from reporting');
  });

  it('Given an instance still on epoch 6, when the gate is evaluated, then it is inconclusive naming the instance and its epoch', () => {
    const r = evaluateGate('orders', stage(), evidence({ billing: consumer(7, clean(5000)), reporting: consumer(6, clean(5000)) }));
    expect(r.verdict).toBe('inconclusive');
    expect(r.missing).toEqual(['no acknowledgement of epoch 7 from reporting (h:1 on epoch 6)']);
  });

  it('Given an instance silent for three minutes beside a live one on the epoch, when evaluated, then only the live one counts', () => {
    const billing = consumer(7, clean(5000));
    billing.instances.push({ instance: 'h:2', epoch: 5, updatedAt: NOW - 180_000, inFlightWrites: 0, routingStale: false });
    const r = evaluateGate('orders', stage(), evidence({ billing, reporting: consumer(7, clean(5000)) }));
    expect(r.verdict).toBe('pass');
  });

  it('Given 5000 clean comparisons from each consumer and a 1 % limit, when evaluated, then it passes', () => {
    const r = evaluateGate('orders', stage(), evidence({ billing: consumer(7, clean(5000)), reporting: consumer(7, clean(5000)) }));
    expect(r.verdict).toBe('pass');
    expect(r.missing).toEqual([]);
  });

  it('Given 5 mismatches in 1000 comparisons and a 1 % limit, when evaluated, then it is inconclusive (rate 0.5 % but bound 1.17 %) and asks for the samples the bound needs', () => {
    const r = evaluateGate('orders', stage({ scope: ['billing'] }), evidence({ billing: consumer(7, { match: 995, mismatch: 5 }) }));
    expect(r.verdict).toBe('inconclusive');
    const need = samplesForBound(5, 1000, 0.01)!;
    expect(need).toBeGreaterThan(1000);
    expect(r.missing).toEqual([`${need - 1000} more samples from billing`]);
  });

  it('Given 5 mismatches in 1000 comparisons and a 0.2 % limit, when evaluated, then it fails as an integrity signal (the lower bound 0.214 % is above the limit)', () => {
    const r = evaluateGate('orders', stage({ scope: ['billing'], gate: { maxMismatchRate: 0.002, minSamples: 1000, bakeMs: 0, approval: false } }), evidence({ billing: consumer(7, { match: 995, mismatch: 5 }) }));
    expect(r.verdict).toBe('fail');
    expect(r.integrity).toBe(true);
    expect(r.missing).toEqual(['billing: mismatch rate 0.50% is above 0.20%']);
  });

  it('Given a limit of 0 and one mismatch, when evaluated, then it fails; with none and enough samples it passes', () => {
    const s = stage({ scope: ['billing'], gate: { maxMismatchRate: 0, minSamples: 100, bakeMs: 0, approval: false } });
    expect(evaluateGate('orders', s, evidence({ billing: consumer(7, { match: 99, mismatch: 1 }) })).verdict).toBe('fail');
    expect(evaluateGate('orders', s, evidence({ billing: consumer(7, clean(100)) })).verdict).toBe('pass');
  });

  it('Given a consumer reading new in the stage, when the gate asks for 100 samples, then its reads served by new count', () => {
    const s = stage({ scope: ['billing'], reads: { billing: 'new' }, gate: { minSamples: 100, bakeMs: 0, approval: false } });
    const r = evaluateGate('orders', s, evidence({ billing: consumer(7, {}, { readsNew: 60 }) }));
    expect(r.missing).toEqual(['40 more reads from billing on new']);
  });

  it('Given a failed last verification, when evaluated, then it fails as an integrity signal with the repair command', () => {
    const r = evaluateGate('orders', stage({ gate: { bakeMs: 0, approval: false } }), evidence({ billing: consumer(7), reporting: consumer(7) }, { verification: { reportId: 'r9', finishedAt: NOW - 60_000, passed: false, persistent: 3, compared: 100 } }));
    expect(r.verdict).toBe('fail');
    expect(r.integrity).toBe(true);
    expect(r.missing).toEqual(['the last verification of orders found 3 persistent mismatches: repair with `migrate verify --entity orders --repair`']);
  });

  it('Given a passed verification 30 hours old, when evaluated, then it is inconclusive asking for a fresh one', () => {
    const r = evaluateGate('orders', stage({ gate: { bakeMs: 0, approval: false } }), evidence({ billing: consumer(7), reporting: consumer(7) }, { verification: { reportId: 'r9', finishedAt: NOW - 30 * 3_600_000, passed: true, persistent: 0, compared: 100 } }));
    expect(r.verdict).toBe('inconclusive');
    expect(r.missing).toEqual(['a fresh verification of orders (the last is 30h old, limit 24h): run `migrate verify --entity orders`']);
  });

  it('Given no verification yet, when evaluated, then it is inconclusive naming the command', () => {
    const r = evaluateGate('orders', stage({ gate: { bakeMs: 0, approval: false } }), evidence({ billing: consumer(7), reporting: consumer(7) }, { verification: null }));
    expect(r.missing).toEqual(['a verification of orders: run `migrate verify --entity orders`']);
  });

  it('Given forward sync lagging 45 s behind a 30 s limit, when evaluated, then it is inconclusive (late, not wrong); with the sync stopped it names the start command', () => {
    const s = stage({ gate: { bakeMs: 0, approval: false } });
    const both = { billing: consumer(7), reporting: consumer(7) };
    const late = evaluateGate('orders', s, evidence(both, { sync: { running: true, pending: 12, oldestSeconds: 45, maxLagMs: 30_000 } }));
    expect(late.verdict).toBe('inconclusive');
    expect(late.integrity).toBe(false);
    expect(late.missing).toEqual(['forward sync of orders to catch up: oldest unsent change 45.0s old, limit 30s']);
    const stopped = evaluateGate('orders', s, evidence(both, { sync: { running: false, pending: 3, oldestSeconds: 1, maxLagMs: 30_000 } }));
    expect(stopped.missing).toEqual(['a running forward sync of orders: start it with `migrate sync --entity orders`']);
  });

  it('Given a gate with no mismatch limit, no samples asked, no verify or sync phase, when every consumer acknowledged, then it passes on the acknowledgements alone', () => {
    const r = evaluateGate('orders', stage({ gate: { bakeMs: 0, approval: false } }), evidence({ billing: consumer(7), reporting: consumer(7) }));
    expect(r.verdict).toBe('pass');
    expect(r.checks.map((c) => c.check)).toEqual(['acks', 'acks']);
  });

  it('Given one consumer behind, when asked who has not acknowledged, then only that consumer is named', () => {
    const u = unacknowledged(stage(), { epoch: 7, at: NOW, consumers: { billing: consumer(7), reporting: consumer(null) } });
    expect(u.map((c) => c.missing)).toEqual(['no acknowledgement of epoch 7 from reporting (h:1 on no epoch)']);
  });
});
