/**
 * The cutover's writes stage on real services, driven through the operations behind
 * `migrate cutover`: PostgreSQL legacy with trigger capture and forward sync, the reference service
 * with its change feed, a real worker running the cutover and its write switch child (reverse sync
 * plugged in). One consumer instance is played by the test at the store level: it acknowledges
 * the epoch in force with no write in flight.
 *
 * reads → writes (the write switch) → abort to the previous stage (writes back to legacy, a write
 * acknowledged by the service meanwhile is in the legacy) → resume → writes again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoutingEvaluator } from '../../src/flags/routingEvaluator.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { abortCutover, cutoverProgress, planCutover, resumeCutover, startCutover } from '../../src/ops/cutover.js';
import { installCapture, startSync } from '../../src/ops/sync.js';
import { startVerify } from '../../src/ops/verifyRuns.js';
import { writeSwitchWorkflowId } from '../../src/workflows/cutoverDefinitions.js';
import type { CutoverProgress } from '../../src/workflows/cutoverWorkflow.js';
import type { writeSwitchWorkflow } from '../../src/workflows/writeSwitchWorkflow.js';
import { eventually, startLiveStack, type LiveStack } from '../support/harness.js';
import { ORDERS_SYNC_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';

const TOKEN = 'svc-token-cutw';
const ENTITY_YAML = ORDERS_SYNC_ENTITY_YAML({ batch: 50, partitions: 1, changes: { limit: 50, overlap: '1s' }, cutover: true });

let stack: LiveStack;
let acking: ReturnType<typeof setInterval> | undefined;

beforeAll(async () => {
  stack = await startLiveStack({ label: 'cutwlive', engine: 'postgres', seed: (url) => seedOrdersPg(url, 50), service: { token: TOKEN }, plan: { token: TOKEN, entitiesYaml: ENTITY_YAML } });
});
afterAll(async () => {
  if (acking) clearInterval(acking);
  await stack?.close();
});

describe('cutover writes stage on real services', () => {
  it('Given reads then writes stages, when the cutover runs, is aborted back one stage and resumed, then writes move to new through the write switch as its dry run said, back to legacy without losing a write made in the service, and to new again', async () => {
    const { session, service } = stack;
    const plan = session.loaded.plan.name;
    const store = await session.resources.stateStore();
    const flags = await session.resources.flags();

    await installCapture(session, 'orders', 'test');
    await (await startBackfill(session, 'orders', 'test')).handle.result();
    await startSync(session, 'orders', 'test');
    await (await startVerify(session, 'orders', 'test')).handle.result();

    let seq = 0;
    const ack = async () => {
      const r = await flags.getRouting(plan, 'orders');
      await store.saveConsumerReport(plan, 'orders', { consumer: 'billing', instance: 'b-1', seq: ++seq, ack: { epoch: r?.epoch ?? null, inFlightWrites: 0, failureLogDepth: 0, routingStale: false }, epochs: [] });
    };
    acking = setInterval(() => void ack().catch(() => undefined), 100);
    const writes = async () => {
      const r = (await flags.getRouting(plan, 'orders'))!;
      return `${r.epoch}:${new RoutingEvaluator(r.document).writes()}`;
    };
    const until = (test: (p: CutoverProgress) => boolean) =>
      eventually(async () => {
        const p = await cutoverProgress(session, 'orders');
        return p !== undefined && test(p) && p;
      }, 120_000);

    const dry = await planCutover(session, 'orders');
    const drySwitch = dry.steps.filter((s) => s.step === 'write-switch').map((s) => s.detail);
    expect(drySwitch.map((d) => d.split(':')[0])).toEqual(['preconditions', 'fence', 'drain', 'catch-up', 'verify-changed', 'reverse-sync', 'journal', 'switch', 'unfence']);

    await startCutover(session, 'orders', 'alice', { pollMs: 300 });
    const done = await until((p) => p.step === 'complete');
    expect(done).toMatchObject({ stage: 'writes', epoch: 3, writes: 'new' });
    expect(await writes()).toBe('3:new');
    // The steps the switch took are the dry run's (the preconditions' answers were today's then).
    const first = await session.temporal.client.workflow.getHandle<typeof writeSwitchWorkflow>(writeSwitchWorkflowId(plan, 'orders', 1)).result();
    expect(first.steps.map((s) => `${s.step}: ${s.detail}`).slice(1)).toEqual(drySwitch.slice(1));

    // An application writes order 7 in the service while writes are on new.
    const res = await fetch(`${service.url}/v1/orders/7`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 7, customerId: 8, total: 515151, status: 'shipped', updatedAt: new Date().toISOString() }),
    });
    expect([200, 201, 204]).toContain(res.status);

    await abortCutover(session, 'orders', 'previous', 'bob', 'rehearsal');
    const back = await until((p) => p.step === 'paused');
    expect(back).toMatchObject({ stage: 'reads', epoch: 5, writes: 'legacy', paused: { by: 'rollback' } });
    expect(await writes()).toBe('5:legacy');
    const source = await session.resources.source('legacy');
    const [row] = await source.readByKeys(session.resources.entity('orders').source, [[7]]);
    expect(row).toMatchObject({ id: 7, customer_id: 8, total_cents: 515151, status: 'SHIPPED' });

    await resumeCutover(session, 'orders', 'bob');
    const again = await until((p) => p.step === 'complete' && p.epoch > 5);
    expect(again).toMatchObject({ stage: 'writes', epoch: 7, writes: 'new' });
    expect(await writes()).toBe('7:new');
  }, 300_000);
});
