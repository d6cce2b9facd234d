/**
 * Shadow reads against real HTTP servers: the caller gets legacy's answer at legacy's pace, the
 * new service is compared in the background, and its slowness or errors never reach the caller.
 * Assertions are on the order of events, never on wall-clock durations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createConsumer, type Consumer, type ConsumerReport } from '../../../src/consumer/index.js';
import { getJson, scriptedServer, type Scripted } from './scriptedServer.js';
import { memorySink, ORDERS_RULES, ordersDocument, routingFile, sumEpoch } from './fixtures.js';

const LEGACY_ORDER = { id: 1, status: 'paid', total: 1250, email: 'ann@example.com' };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function setup(nextHandler: Parameters<typeof scriptedServer>[2], shadow: { timeoutMs?: number; recheckDelayMs?: number } = {}) {
  const events: string[] = [];
  const legacy = await scriptedServer('legacy', events, async () => ({ status: 200, body: LEGACY_ORDER }));
  const next = await scriptedServer('next', events, nextHandler);
  const { file, dir } = routingFile(ordersDocument(3));
  const sink = memorySink();
  const consumer = createConsumer({ name: 'reporting', entity: 'orders', routing: file, report: sink, rules: ORDERS_RULES, shadow: { timeoutMs: 10_000, recheckDelayMs: 20, ...shadow }, failures: { path: `${dir}/f.jsonl` } });
  closers.push(() => legacy.close(), () => next.close(), () => consumer.close());
  await consumer.ready();
  const read = (id: number): Promise<unknown> =>
    consumer.read(id, { legacy: () => getJson(`${legacy.url}/orders/${id}`), next: (signal) => getJson(`${next.url}/orders/${id}`, signal) });
  const counts = async () => {
    await consumer.flush();
    const reports = sink.reports as ConsumerReport[];
    const sum = sumEpoch(reports, 3);
    return { shadow: sum.shadow, fields: sum.mismatchFields, samples: reports.flatMap((r) => r.epochs.flatMap((e) => e.samples)), text: JSON.stringify(reports) };
  };
  return { events, consumer, legacy, next: next as Scripted, read, counts };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe('shadow reads', () => {
  it('given a new service that answers only after the caller has its result, when a shadow read runs, then the caller resolves first with legacy\'s answer', async () => {
    const gate = deferred();
    const s = await setup(async () => {
      await gate.promise;
      return { status: 200, body: LEGACY_ORDER };
    });
    const value = await s.read(1);
    s.events.push('caller:resolved');
    expect(value).toEqual(LEGACY_ORDER);
    // The new service was asked (in parallel) but cannot have answered: it waits for this gate.
    await until(() => s.next.received === 1);
    gate.resolve();
    const c = await s.counts();
    expect(s.events.indexOf('caller:resolved')).toBeLessThan(s.events.indexOf('next:responded'));
    expect(s.events.filter((e) => e.startsWith('legacy:'))).toEqual(['legacy:received', 'legacy:responded']);
    expect(c.shadow).toMatchObject({ match: 1, mismatch: 0, candidateError: 0, timeout: 0 });
  });

  it('given a new service answering 500, when a shadow read runs, then the caller gets legacy\'s answer and a candidate error is counted', async () => {
    const s = await setup(async () => ({ status: 500, body: { error: 'boom' } }));
    await expect(s.read(1)).resolves.toEqual(LEGACY_ORDER);
    const c = await s.counts();
    expect(c.shadow).toMatchObject({ match: 0, mismatch: 0, candidateError: 1, timeout: 0 });
  });

  it('given a next() that throws synchronously, when a shadow read runs, then the caller still gets legacy\'s answer', async () => {
    const s = await setup(async () => ({ status: 200, body: LEGACY_ORDER }));
    const value = await s.consumer.read(1, {
      legacy: () => getJson(`${s.legacy.url}/orders/1`),
      next: () => {
        throw new Error('bug in the app\'s new-service client');
      },
    });
    expect(value).toEqual(LEGACY_ORDER);
    expect((await s.counts()).shadow.candidateError).toBe(1);
  });

  it('given a new service that never answers, when the shadow timeout passes, then a timeout is counted and the request is aborted', async () => {
    const s = await setup(async () => 'hang', { timeoutMs: 200 });
    await expect(s.read(1)).resolves.toEqual(LEGACY_ORDER);
    const c = await s.counts();
    expect(c.shadow).toMatchObject({ match: 0, timeout: 1, candidateError: 0 });
    await until(() => s.events.includes('next:aborted'));
  });

  it('given a new service that differs on total and email, when the re-check still differs, then one mismatch counts by field and the sample hides the email', async () => {
    const s = await setup(async () => ({ status: 200, body: { ...LEGACY_ORDER, total: 1300, email: 'bob@example.com', updatedAt: 'ignored' } }));
    await s.read(1);
    const c = await s.counts();
    expect(c.shadow).toMatchObject({ match: 0, mismatch: 1, missing: 0, resolvedOnRecheck: 0 });
    expect(c.fields).toEqual({ total: 1, email: 1 });
    expect(s.next.received).toBe(2); // first read and the re-check
    expect(c.samples).toEqual([{ key: '1', fields: ['total', 'email'], legacy: { total: 1250, email: '[redacted]' }, next: { total: 1300, email: '[redacted]' } }]);
    expect(c.text).not.toContain('ann@example.com');
    expect(c.text).not.toContain('bob@example.com');
  });

  it('given a new service that is stale at first and caught up on the re-check, when a shadow read runs, then it counts as a match resolved on re-check', async () => {
    const s = await setup(async (n) => ({ status: 200, body: n === 0 ? { ...LEGACY_ORDER, status: 'new' } : LEGACY_ORDER }));
    await s.read(1);
    const c = await s.counts();
    expect(c.shadow).toMatchObject({ match: 1, mismatch: 0, resolvedOnRecheck: 1 });
    expect(c.fields).toEqual({});
  });

  it('given a key the new service does not have, when a shadow read runs, then it counts as missing', async () => {
    const s = await setup(async () => ({ status: 404 }));
    await s.read(1);
    const c = await s.counts();
    expect(c.shadow).toMatchObject({ mismatch: 1, missing: 1 });
    expect(c.fields).toEqual({ '(missing)': 1 });
  });
});
