/**
 * Fenced writes and an unreachable routing source: while the document fences writes, a write is
 * rejected with a retryable error or held until the fence lifts, as the document says; when the
 * routing source goes down, the last good document keeps serving and the hooks say so.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { createConsumer, createOpenFeatureProvider, routingKey, WriteFencedError, type Consumer } from '../../../src/consumer/index.js';
import { buildRoutingDocument, type RoutingStage } from '../../../src/flags/routing.js';
import { memorySink, ordersDocument, routingFile } from './fixtures.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function consumer(name: string, routing: string, dir: string, hooks: Partial<Parameters<typeof createConsumer>[0]> = {}): Consumer {
  const c = createConsumer({ name, entity: 'orders', routing, pollMs: 100, report: memorySink(), failures: { path: `${dir}/${name}.jsonl` }, ...hooks });
  closers.push(() => c.close());
  return c;
}

describe('fenced writes', () => {
  it('given writes fenced without a hold, when a write comes, then it is rejected as retryable and neither side is written', async () => {
    const { file, dir } = routingFile(ordersDocument(5, { writes: 'fenced' }));
    const c = consumer('billing', file, dir);
    await c.ready();
    const calls: string[] = [];
    const err = await c.write(1, { value: { id: 1 }, legacy: async () => void calls.push('legacy'), next: async () => void calls.push('next') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteFencedError);
    expect((err as WriteFencedError).retryable).toBe(true);
    expect(calls).toEqual([]);
  });

  it('given writes fenced with tracerFence hold, when the fence lifts to new during the hold, then the held write goes to the new side only', async () => {
    const { file, dir, write } = routingFile(ordersDocument(5, { writes: 'fenced', fence: 'hold', holdMs: 60_000 }));
    const c = consumer('billing', file, dir);
    await c.ready();
    const events: string[] = [];
    const pending = c.write(1, { value: { id: 1 }, legacy: async () => void events.push('legacy'), next: async () => void events.push('next') }).then(() => events.push('write:resolved'));
    // Give the held write time to (wrongly) proceed if it were not held.
    await new Promise((r) => setTimeout(r, 300));
    events.push('fence:lifted');
    write(ordersDocument(6, { writes: 'new' }));
    await pending;
    expect(events).toEqual(['fence:lifted', 'next', 'write:resolved']);
    expect(c.epoch()).toBe(6);
  });
});

describe('fence documents published by the write switch', () => {
  // Built by the same function the write switch publishes with, not by hand.
  const stage = (epoch: number, writes: RoutingStage['writes'], fenceHold?: { holdMs: number }): Record<string, unknown> =>
    buildRoutingDocument({ plan: 'orders-to-fulfillment', entity: 'orders', epoch, reads: {}, otherReads: 'new', writes, ...(fenceHold ? { fenceHold } : {}) }) as unknown as Record<string, unknown>;

  it('given the fence with hold metadata, when a write comes, then it is held (neither side written) until the switch epoch lifts the fence, and then goes to the new side', async () => {
    const { file, dir, write } = routingFile(stage(8, 'fenced', { holdMs: 60_000 }));
    const c = consumer('billing', file, dir);
    await c.ready();
    const events: string[] = [];
    const pending = c.write(7, { value: { id: 7 }, legacy: async () => void events.push('legacy'), next: async () => void events.push('next') }).then(() => events.push('write:resolved'));
    // Several polls of the unchanged fence document: a write that is not held would have gone somewhere by now.
    await new Promise((r) => setTimeout(r, 400));
    expect(events).toEqual([]);
    events.push('switch published');
    write(stage(9, 'new'));
    await pending;
    expect(events).toEqual(['switch published', 'next', 'write:resolved']);
  });

  it('given the fence with hold metadata and a short hold, when the fence outlasts it, then the write is rejected as retryable and neither side is written', async () => {
    const { file, dir } = routingFile(stage(8, 'fenced', { holdMs: 200 }));
    const c = consumer('billing', file, dir);
    await c.ready();
    const calls: string[] = [];
    const err = await c.write(7, { value: { id: 7 }, legacy: async () => void calls.push('legacy'), next: async () => void calls.push('next') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteFencedError);
    expect((err as WriteFencedError).retryable).toBe(true);
    expect(calls).toEqual([]);
  });
});

describe('routing source', () => {
  it('given an HTTP routing source that starts failing, when it is polled, then the last document keeps serving, onStale fires once, and onRecovered with the next epoch', async () => {
    let answer: { status: number; body: string } = { status: 200, body: JSON.stringify(ordersDocument(3, { reads: 'shadow' })) };
    const server = http.createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/routing/orders`;
    const stale: (number | undefined)[] = [];
    const recovered: number[] = [];
    const { dir } = routingFile(ordersDocument(1));
    let staleNow!: () => void;
    const staleSeen = new Promise<void>((r) => (staleNow = r));
    let recoveredNow!: () => void;
    const recoveredSeen = new Promise<void>((r) => (recoveredNow = r));
    const c = consumer('reporting', url, dir, {
      onStale: ({ epoch }) => {
        stale.push(epoch);
        staleNow();
      },
      onRecovered: ({ epoch }) => {
        recovered.push(epoch);
        recoveredNow();
      },
    });
    await c.ready();
    expect(c.readRoute(1)).toBe('shadow');

    answer = { status: 503, body: '{"error":"down"}' };
    await staleSeen;
    await new Promise((r) => setTimeout(r, 300)); // several more failed polls
    expect(stale).toEqual([3]);
    expect(c.epoch()).toBe(3);
    expect(c.readRoute(1)).toBe('shadow');

    answer = { status: 200, body: JSON.stringify(ordersDocument(4, { reads: 'new' })) };
    await recoveredSeen;
    expect(recovered).toEqual([4]);
    expect(c.readRoute(1)).toBe('new');
  });
});

describe('OpenFeature provider', () => {
  it('given the provider over a consumer, when routes are asked through the OpenFeature client, then they equal the consumer\'s and a new epoch emits a configuration change', async () => {
    const { file, dir, write } = routingFile(ordersDocument(8, { billingNew: 30 }));
    const c = consumer('billing', file, dir);
    await c.ready();
    await OpenFeature.setProviderAndWait('tracer-test', createOpenFeatureProvider(c));
    closers.push(() => OpenFeature.clearProviders());
    const client = OpenFeature.getClient('tracer-test');
    const seen: Record<string, number> = {};
    for (let id = 1; id <= 500; id++) {
      const route = await client.getStringValue('orders.reads', 'legacy', { targetingKey: routingKey(id) });
      expect(route).toBe(c.readRoute(id));
      seen[route] = (seen[route] ?? 0) + 1;
    }
    expect(Object.keys(seen).sort()).toEqual(['legacy', 'new']);
    const changed = new Promise<void>((r) => client.addHandler(ProviderEvents.ConfigurationChanged, () => r()));
    write(ordersDocument(9, { reads: 'new' }));
    await changed;
    expect(await client.getStringValue('orders.reads', 'legacy', { targetingKey: '1' })).toBe('new');
  });
});
