/**
 * Consumers simulated by their reports: the rows `migrate consumer ingest` writes into the state
 * store, for tests that drive a cutover without consumer processes (those are in ordersConsumers.ts).
 */
import type { LiveStack } from './harness.js';

/**
 * A reporter for `entity` on the stack's plan: `report(consumer, epoch, match)` saves one report of
 * instance `<consumer>-1` acknowledging `epoch` with `match` more clean shadow comparisons at it
 * (no mismatch, nothing in flight). Each reporter numbers its reports in order.
 */
export function consumerReporter(stack: LiveStack, entity = 'orders'): (consumer: string, epoch: number, match: number) => Promise<void> {
  let seq = 0;
  return async (consumer, epoch, match) => {
    const store = await stack.session.resources.stateStore();
    const zero = { count: 0, sumMs: 0, maxMs: 0, buckets: new Array(14).fill(0) };
    await store.saveConsumerReport(stack.session.loaded.plan.name, entity, {
      consumer,
      instance: `${consumer}-1`,
      seq: seq++,
      ack: { epoch, inFlightWrites: 0, failureLogDepth: 0, routingStale: false },
      epochs: [
        {
          epoch,
          reads: { legacy: 0, shadow: match, new: 0 },
          shadow: { match, mismatch: 0, missing: 0, extra: 0, candidateError: 0, timeout: 0, resolvedOnRecheck: 0 },
          mismatchFields: {},
          writes: { legacy: 0, dual: 0, new: 0, fencedHeld: 0, fencedRejected: 0, secondWriteFailed: 0, replayed: 0, exhausted: 0 },
          latencyMs: { legacy: zero, next: zero },
          samples: [],
        },
      ],
    });
  };
}
