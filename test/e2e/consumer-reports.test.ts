/**
 * Reports from three consumer PROCESSES (the sample app, examples/orders-consumer) reach the
 * orchestrator's store through `migrate consumer ingest` — the one documented path — with exact
 * counts against a seeded set of known divergent rows. The rule set the apps compare with comes
 * from `migrate consumer rules`, and `migrate consumer report` reads the result back.
 *
 * Seeded: orders 1..60 in the legacy table and in the new service, except
 *   5, 17, 33: total differs · 42: missing in the service · 50: email (sensitive) differs.
 * Reads (all shadow): reporting 1..60, support-ui 1..30, billing 31..60.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { buildRoutingDocument } from '../../src/flags/routing.js';
import { consumerReportSummary } from '../../src/ops/consumerReport.js';
import { openStateStore } from '../../src/state/index.js';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { writeTestPlan } from '../support/harness.js';
import { SAMPLE_ORDERS_ENTITY_YAML, startOrdersConsumers, type OrdersConsumer } from '../support/ordersConsumers.js';
import { BIN, runMigrate, startReadyProcess as start, stopProcess as stop, type ReadyProcess } from '../support/processes.js';

const ENTITY_YAML = SAMPLE_ORDERS_ENTITY_YAML(`      - verify: { ignore: [updatedAt], recheckAfter: 2s }
      - cutover:
          consumers: [reporting, support-ui, billing]
          stages:
            - { name: shadow, reads: shadow, gate: { maxMismatchRate: 0.001, minSamples: 10 } }
`);

let dbs: TestDatabases;
let service: FulfillmentService;
let ingest: ReadyProcess | undefined;
const apps: OrdersConsumer[] = [];

beforeAll(async () => {
  dbs = await createTestDatabases('consumerreports');
  const legacy = new pg.Client({ connectionString: dbs.pgUrl });
  await legacy.connect();
  await legacy.query('create table orders (id bigint primary key, status text not null, total_cents bigint not null, email text not null)');
  await legacy.query(`insert into orders select g, 'paid', g * 100, 'user' || g || '@example.com' from generate_series(1, 60) g`);
  await legacy.end();
  service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, schema: 'svc_reports' });
  for (let id = 1; id <= 60; id++) {
    if (id === 42) continue;
    const total = id === 5 || id === 17 || id === 33 ? id * 100 + 1 : id * 100;
    const email = id === 50 ? 'someone-else@example.com' : `user${id}@example.com`;
    await service.putItem('orders', { id, status: 'paid', total, email });
  }
});

afterAll(async () => {
  for (const a of apps) await stop(a);
  await stop(ingest);
  await service?.close();
  await dbs?.drop();
});

describe('consumer reports from three processes', () => {
  it('given three consumer processes shadow-reading seeded divergent orders, when they report through migrate consumer ingest, then the store holds exact counts per consumer', async () => {
    const plan = writeTestPlan({ name: 'orders-to-fulfillment', sourceUrl: dbs.pgUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, entitiesYaml: ENTITY_YAML });
    const rulesFile = path.join(plan.dir, 'orders.rules.json');
    const rules = await runMigrate(['consumer', 'rules', '--plan', plan.file, '--entity', 'orders', '--out', rulesFile], {});
    expect(rules.code, rules.stderr).toBe(0);

    const routingFile = path.join(plan.dir, 'orders.routing.json');
    writeFileSync(routingFile, JSON.stringify(buildRoutingDocument({ plan: 'orders-to-fulfillment', entity: 'orders', epoch: 1, reads: { reporting: 'shadow', 'support-ui': 'shadow', billing: 'shadow' }, writes: 'legacy' })));

    ingest = await start([BIN, 'consumer', 'ingest', '--plan', plan.file, '--port', '0'], {}, /at (http:\/\/[^\s]+)\/v1\/consumer-reports/);
    const reportUrl = `${ingest.match[1]}/v1/consumer-reports`;

    const ranges: Record<string, [number, number]> = { reporting: [1, 60], 'support-ui': [1, 30], billing: [31, 60] };
    apps.push(
      ...(await startOrdersConsumers(Object.keys(ranges), {
        legacyUrl: dbs.pgUrl,
        serviceUrl: service.url,
        routing: routingFile,
        reportUrl,
        rulesFile,
        dir: plan.dir,
        env: { REPORT_EVERY_MS: '300', RECHECK_MS: '50' },
      })),
    );

    await Promise.all(
      Object.entries(ranges).map(async ([name, [from, to]], i) => {
        const url = apps[i]!.url;
        for (let id = from; id <= to; id++) {
          const res = await fetch(`${url}/orders/${id}`);
          // Every answer is legacy's: the caller never sees the new service's differences.
          expect(res.status).toBe(200);
          expect(((await res.json()) as { total: number }).total).toBe(id * 100);
        }
        const flushed = await fetch(`${url}/admin/flush`, { method: 'POST' });
        expect(flushed.status).toBe(200);
      }),
    );

    const store = await openStateStore(dbs.pgUrl);
    try {
      const s = await consumerReportSummary(store, 'orders-to-fulfillment', 'orders');
      const byConsumer = Object.fromEntries(s.totals.map((t) => [t.consumer, t]));
      expect(s.totals.map((t) => [t.consumer, t.epoch, t.instances])).toEqual([
        ['billing', 1, 1],
        ['reporting', 1, 1],
        ['support-ui', 1, 1],
      ]);
      expect(byConsumer.reporting!.reads).toEqual({ legacy: 0, shadow: 60, new: 0 });
      expect(byConsumer.reporting!.shadow).toEqual({ match: 55, mismatch: 5, missing: 1, extra: 0, candidateError: 0, timeout: 0, resolvedOnRecheck: 0 });
      expect(byConsumer.reporting!.mismatchFields).toEqual({ total: 3, email: 1, '(missing)': 1 });
      expect(byConsumer['support-ui']!.reads).toEqual({ legacy: 0, shadow: 30, new: 0 });
      expect(byConsumer['support-ui']!.shadow).toEqual({ match: 28, mismatch: 2, missing: 0, extra: 0, candidateError: 0, timeout: 0, resolvedOnRecheck: 0 });
      expect(byConsumer['support-ui']!.mismatchFields).toEqual({ total: 2 });
      expect(byConsumer.billing!.reads).toEqual({ legacy: 0, shadow: 30, new: 0 });
      expect(byConsumer.billing!.shadow).toEqual({ match: 27, mismatch: 3, missing: 1, extra: 0, candidateError: 0, timeout: 0, resolvedOnRecheck: 0 });
      expect(byConsumer.billing!.mismatchFields).toEqual({ total: 1, email: 1, '(missing)': 1 });
      // Sampled keys name fields, never a sensitive value.
      expect(byConsumer.billing!.samples.map((x) => x.key).sort()).toEqual(['33', '42', '50']);
      const stored = JSON.stringify(await store.listConsumerReports('orders-to-fulfillment', 'orders'));
      expect(stored).not.toContain('someone-else@example.com');
      expect(stored).not.toContain('user50@example.com');
      // Every instance acknowledged epoch 1 with nothing in flight.
      expect(s.acks.map((a) => [a.consumer, a.epoch, a.inFlightWrites])).toEqual([
        ['billing', 1, 0],
        ['reporting', 1, 0],
        ['support-ui', 1, 0],
      ]);
    } finally {
      await store.close();
    }

    const report = await runMigrate(['consumer', 'report', '--plan', plan.file, '--entity', 'orders'], {});
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('reporting epoch 1: reads legacy 0 shadow 60 new 0; shadow match 55 mismatch 5 (missing 1, extra 0) error 0 timeout 0; fields: total 3, (missing) 1, email 1; writes legacy 0 dual 0 new 0 second-write failures 0');
  });

  it('given the ingest endpoint, when an app sends anything but a valid report of a listed consumer, then it is refused and nothing is stored', async () => {
    expect(ingest).toBeDefined();
    const base = ingest!.match[1]!;
    const valid = { format: 'tracer-consumer-report/v1', entity: 'orders', consumer: 'billing', instance: 'x:1', seq: 0, at: new Date().toISOString(), ack: { epoch: 1, inFlightWrites: 0, failureLogDepth: 0, routingStale: false }, epochs: [] };
    const post = (p: string, body: unknown, method = 'POST') => fetch(`${base}${p}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/v1/consumer-reports', { ...valid, consumer: 'intruder' })).status).toBe(403);
    expect((await post('/v1/consumer-reports', { ...valid, entity: 'customers' })).status).toBe(422);
    expect((await post('/v1/consumer-reports', { ...valid, extra: 'field' })).status).toBe(422);
    expect((await post('/v1/flags', { name: 'orders.backfill', enabled: true })).status).toBe(404);
    expect((await fetch(`${base}/v1/consumer-reports`, { method: 'DELETE' })).status).toBe(405);
    const store = await openStateStore(dbs.pgUrl);
    try {
      const acks = await store.listConsumerAcks('orders-to-fulfillment', 'orders');
      expect(acks.map((a) => a.instance)).not.toContain('x:1');
    } finally {
      await store.close();
    }
  });
});
