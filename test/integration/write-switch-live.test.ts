/**
 * The write switch on real services: PostgreSQL legacy with trigger capture and forward sync
 * running, the reference fulfillment service with its change feed, a real worker (reverse sync's
 * reverse path plugged in), the state store and Temporal. One consumer instance is played by the
 * test at the store level: it acknowledges each routing epoch it sees with no write in flight.
 *
 * Forward: the dry run's steps are exactly the steps the switch takes. Back: a write made in the
 * service while writes were on new is in the legacy once the rollback has switched writes back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRoutingDocument } from '../../src/flags/routing.js';
import { RoutingEvaluator } from '../../src/flags/routingEvaluator.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { installCapture, startSync } from '../../src/ops/sync.js';
import { startVerify } from '../../src/ops/verifyRuns.js';
import { planWriteSwitch } from '../../src/ops/writeSwitchDryRun.js';
import { writeSwitchWorkflowId, type WriteSwitchInput } from '../../src/workflows/cutoverDefinitions.js';
import type { writeSwitchWorkflow } from '../../src/workflows/writeSwitchWorkflow.js';
import { startLiveStack, type LiveStack } from '../support/harness.js';
import { ORDERS_SYNC_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';

const ROWS = 50;
const TOKEN = 'svc-token-ws';
const ENTITY_YAML = ORDERS_SYNC_ENTITY_YAML({ batch: 50, partitions: 1, changes: { limit: 50, overlap: '1s' }, cutover: true });

let stack: LiveStack;
let acking: ReturnType<typeof setInterval> | undefined;

beforeAll(async () => {
  stack = await startLiveStack({ label: 'wslive', engine: 'postgres', seed: (url) => seedOrdersPg(url, ROWS), service: { token: TOKEN }, plan: { token: TOKEN, entitiesYaml: ENTITY_YAML } });
});
afterAll(async () => {
  if (acking) clearInterval(acking);
  await stack?.close();
});

describe('write switch on real services', () => {
  it('Given reads on new and forward sync caught up, when writes switch to new and back, then the dry run matched the steps taken and a write made in the service while writes were on new is in the legacy after the rollback', async () => {
    const { session, service } = stack;
    const plan = session.loaded.plan.name;
    const store = await session.resources.stateStore();
    const flags = await session.resources.flags();

    await installCapture(session, 'orders', 'test');
    await (await startBackfill(session, 'orders', 'test')).handle.result();
    await startSync(session, 'orders', 'test');
    await (await startVerify(session, 'orders', 'test')).handle.result();
    await flags.publishRouting(buildRoutingDocument({ plan, entity: 'orders', epoch: 1, reads: { billing: 'new' }, writes: 'legacy' }), { plan, entity: 'orders', actor: 'test' });

    // The consumer instance: acknowledges the epoch in force, nothing in flight.
    let seq = 0;
    const ack = async () => {
      const r = await flags.getRouting(plan, 'orders');
      await store.saveConsumerReport(plan, 'orders', { consumer: 'billing', instance: 'b-1', seq: ++seq, ack: { epoch: r?.epoch ?? null, inFlightWrites: 0, failureLogDepth: 0, routingStale: false }, epochs: [] });
    };
    await ack();
    acking = setInterval(() => void ack().catch(() => undefined), 100);

    const run = async (input: WriteSwitchInput, n: number) =>
      (
        await session.temporal.client.workflow.start<typeof writeSwitchWorkflow>('writeSwitchWorkflow', {
          taskQueue: session.temporal.settings.taskQueue,
          workflowId: writeSwitchWorkflowId(plan, 'orders', n),
          args: [input],
        })
      ).result();
    const writes = async () => {
      const r = (await flags.getRouting(plan, 'orders'))!;
      return `${r.epoch}:${new RoutingEvaluator(r.document).writes()}`;
    };

    const forward: WriteSwitchInput = { plan, entity: 'orders', to: 'new', reads: { billing: 'new' }, otherReads: 'legacy', epoch: 1 };
    const dry = await planWriteSwitch(session.resources, forward);
    const switched = await run(forward, 1);
    expect(switched.outcome).toBe('switched');
    expect(switched.steps.map((s) => ({ step: s.step, detail: s.detail }))).toEqual(dry);
    expect(await writes()).toBe('3:new');

    // An application writes order 7 in the service while writes are on new.
    const res = await fetch(`${service.url}/v1/orders/7`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 7, customerId: 8, total: 424242, status: 'shipped', updatedAt: new Date().toISOString() }),
    });
    expect([200, 201, 204]).toContain(res.status);

    const back = await run({ plan, entity: 'orders', to: 'legacy', reads: { billing: 'new' }, otherReads: 'legacy', epoch: 3 }, 2);
    expect(back.outcome).toBe('switched');
    expect(back.steps.map((s) => `${s.step}:${s.outcome}`)).toEqual(['fence:done', 'drain:done', 'reverse-catch-up:done', 'journal:done', 'switch:done', 'stop-reverse-sync:done']);
    expect(await writes()).toBe('5:legacy');
    const source = await session.resources.source('legacy');
    const [row] = await source.readByKeys(session.resources.entity('orders').source, [[7]]);
    expect(row).toMatchObject({ id: 7, customer_id: 8, total_cents: 424242, status: 'SHIPPED' });

    const journal = await store.listJournal(plan, 'orders');
    expect(journal.filter((j) => j.step === 'journal' && j.outcome === 'done')).toHaveLength(2);
  }, 240_000);
});
