/**
 * Routing in the consumer library is flagd's routing: for the brief's document (shadow for two
 * consumers, {new: 10} for a third), 10,000 keys route exactly as @openfeature/flagd-core routes
 * them when given targetingKey = the key and consumer = the consumer's name.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FlagdCore } from '@openfeature/flagd-core';
import { createConsumer, routingKey, type Consumer } from '../../../src/consumer/index.js';
import { memorySink, ordersDocument, routingFile } from './fixtures.js';

const open: Consumer[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

function consumerFor(name: string, file: string, dir: string): Consumer {
  const c = createConsumer({ name, entity: 'orders', routing: file, pollMs: 100, report: memorySink(), failures: { path: `${dir}/${name}.jsonl` } });
  open.push(c);
  return c;
}

describe('routing', () => {
  it('given shadow for reporting and support-ui and {new: 10} for billing, when 10,000 keys are routed, then every route equals flagd-core\'s', async () => {
    const doc = ordersDocument(7);
    const { file, dir } = routingFile(doc);
    const reference = new FlagdCore();
    reference.setConfigurations(JSON.stringify(doc));
    const tallies: Record<string, Record<string, number>> = {};
    for (const name of ['reporting', 'support-ui', 'billing', 'search']) {
      const c = consumerFor(name, file, dir);
      await c.ready();
      const t: Record<string, number> = (tallies[name] = {});
      for (let id = 1; id <= 10_000; id++) {
        const expected = reference.resolveStringEvaluation('orders.reads', 'legacy', { targetingKey: String(id), consumer: name }).value;
        const got = c.readRoute(id);
        if (got !== expected) expect.fail(`${name} key ${id}: library ${got}, flagd-core ${expected}`);
        t[got] = (t[got] ?? 0) + 1;
      }
    }
    // Written by hand from the document: two consumers all shadow, an unlisted one all legacy,
    // billing about 10% new (±3 standard deviations of a fair 10% draw over 10,000 keys).
    expect(tallies.reporting).toEqual({ shadow: 10_000 });
    expect(tallies['support-ui']).toEqual({ shadow: 10_000 });
    expect(tallies.search).toEqual({ legacy: 10_000 });
    expect(tallies.billing!.new! + tallies.billing!.legacy!).toBe(10_000);
    expect(tallies.billing!.new).toBeGreaterThan(910);
    expect(tallies.billing!.new).toBeLessThan(1090);
  });

  it('given billing at 10% then 20% new, when the percent is raised, then no key moves back to legacy', async () => {
    const { file, dir, write } = routingFile(ordersDocument(1, { billingNew: 10 }));
    const c = consumerFor('billing', file, dir);
    await c.ready();
    const before = new Map<number, string>();
    for (let id = 1; id <= 10_000; id++) before.set(id, c.readRoute(id));
    const applied = new Promise<void>((resolve) => c.onEpochApplied(() => resolve()));
    write(ordersDocument(2, { billingNew: 20 }));
    await applied;
    expect(c.epoch()).toBe(2);
    let moved = 0;
    for (let id = 1; id <= 10_000; id++) {
      const now = c.readRoute(id);
      if (before.get(id) === 'new') expect(now).toBe('new');
      if (before.get(id) === 'legacy' && now === 'new') moved++;
    }
    expect(moved).toBeGreaterThan(0);
  });

  it('given composite keys, when they are routed for billing, then each equals flagd-core with the parts joined by |', async () => {
    const doc = ordersDocument(7);
    const { file, dir } = routingFile(doc);
    const reference = new FlagdCore();
    reference.setConfigurations(JSON.stringify(doc));
    const c = consumerFor('billing', file, dir);
    await c.ready();
    for (let id = 1; id <= 2000; id++) {
      const expected = reference.resolveStringEvaluation('orders.reads', 'legacy', { targetingKey: `${id}|EU`, consumer: 'billing' }).value;
      expect(c.readRoute([id, 'EU'])).toBe(expected);
    }
    expect(routingKey([7, 'EU'])).toBe('7|EU');
  });
});
