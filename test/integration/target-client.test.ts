import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, DEFAULT_KNOBS, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { createTargetClient } from '../../src/service/client.js';
import { idempotencyKey } from '../../src/service/idempotency.js';
import { TargetAuthError, TargetPermanentError, TargetRetryableError, TargetUnsupportedError } from '../../src/service/errors.js';
import type { BatchTarget, TargetServiceConfig } from '../../src/plan/schema.js';
import type { TargetItem } from '../../src/service/types.js';

const TOKEN = 'tok-integration-5ecret';
let dbs: TestDatabases;
let svc: FulfillmentService;

beforeAll(async () => {
  dbs = await createTestDatabases('targetclient');
  svc = await startFulfillmentService({
    databaseUrl: dbs.pgUrl,
    token: TOKEN,
    collections: { lines: { key: ['orderId', 'lineNo'] } },
  });
});

afterAll(async () => {
  await svc?.close();
  await dbs?.drop();
});

beforeEach(() => {
  svc.setKnobs(DEFAULT_KNOBS);
  svc.resetLog();
});

function config(over: Partial<TargetServiceConfig> = {}): TargetServiceConfig {
  return { baseUrl: svc.url, headers: { Authorization: `Bearer ${TOKEN}` }, timeout: '5s', concurrency: 4, ...over };
}

function batchEndpoints(collection: string): BatchTarget {
  return {
    service: 'fulfillment',
    write: { method: 'POST', path: `/v1/${collection}:batchUpsert`, batch: 500 },
    read: { method: 'POST', path: `/v1/${collection}:batchGet` },
    list: { path: `/v1/${collection}` },
  };
}

function singleEndpoints(collection: string): BatchTarget {
  return {
    service: 'fulfillment',
    write: { method: 'POST', path: `/v1/${collection}/{key}` },
    read: { method: 'GET', path: `/v1/${collection}/{key}` },
  };
}

function client(collection: string, opts: { single?: boolean; keyFields?: string[]; config?: Partial<TargetServiceConfig> } = {}) {
  return createTargetClient({
    service: 'fulfillment',
    config: config(opts.config),
    endpoints: opts.single ? singleEndpoints(collection) : batchEndpoints(collection),
    keyFields: opts.keyFields ?? ['id'],
  });
}

const idem = (items: TargetItem[]) => idempotencyKey('test', items.map((i) => ({ key: i.id })));

describe('target client against the reference service', () => {
  it('Given new items, when batch-upserted twice with changed content, then they are created, then updated, and stored', async () => {
    const c = client('orders_a');
    const items = [
      { id: 1, total: 100, status: 'new' },
      { id: 2, total: 250, status: 'paid' },
    ];
    const first = await c.write(items, idem(items));
    expect(first.map((r) => [r.key, r.ok, r.status])).toEqual([
      [{ id: 1 }, true, 201],
      [{ id: 2 }, true, 201],
    ]);
    const changed = items.map((i) => ({ ...i, total: i.total + 1 }));
    const second = await c.write(changed, idem(changed));
    expect(second.map((r) => r.status)).toEqual([200, 200]);
    expect(await svc.getItem('orders_a', { id: 2 })).toEqual({ id: 2, total: 251, status: 'paid' });
  });

  it('Given some keys exist, when batch-read, then only present items come back', async () => {
    const c = client('orders_b');
    const items = [{ id: 1, v: 'a' }, { id: 3, v: 'c' }];
    await c.write(items, idem(items));
    const got = await c.read([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(got.sort((a, b) => Number(a.id) - Number(b.id))).toEqual(items);
  });

  it('Given a composite key with a comma in a value, when written in batch and read back by path, then both fields identify the item', async () => {
    const batch = client('lines', { keyFields: ['orderId', 'lineNo'] });
    const items = [
      { orderId: 7, lineNo: 1, sku: 'A' },
      { orderId: 7, lineNo: 2, sku: 'B' },
      { orderId: 8, lineNo: 'x,y', sku: 'C' },
    ];
    const results = await batch.write(items, 'k-lines');
    expect(results.map((r) => r.key)).toEqual([
      { orderId: 7, lineNo: 1 },
      { orderId: 7, lineNo: 2 },
      { orderId: 8, lineNo: 'x,y' },
    ]);
    const single = createTargetClient({
      service: 'fulfillment',
      config: config(),
      endpoints: singleEndpoints('lines'),
      keyFields: ['orderId', 'lineNo'],
    });
    expect(await single.read([{ orderId: 8, lineNo: 'x,y' }, { orderId: 7, lineNo: 3 }])).toEqual([items[2]]);
    expect(await svc.getItem('lines', { orderId: 7, lineNo: 2 })).toEqual(items[1]);
  });

  it('Given a service without batch endpoints, when items are written and read, then one request per item gives per-item results in order', async () => {
    const c = client('widgets', { single: true });
    const items = Array.from({ length: 9 }, (_, i) => ({ id: i + 1, name: `w${i + 1}` }));
    const results = await c.write(items, 'k-widgets');
    expect(results.map((r) => [r.key, r.status])).toEqual(items.map((i) => [{ id: i.id }, 201]));
    expect(svc.requestLog.writes).toBe(9);
    const got = await c.read([{ id: 4 }, { id: 99 }, { id: 9 }]);
    expect(got).toEqual([items[3], items[8]]);
  });

  it('Given a reject rule, when a batch holds a matching item, then that item fails with the reason and the others are stored', async () => {
    svc.setKnobs({ reject: { field: 'status', equals: 'bogus' } });
    const c = client('orders_c');
    const items = [
      { id: 1, status: 'new' },
      { id: 2, status: 'bogus' },
      { id: 3, status: 'paid' },
    ];
    const results = await c.write(items, idem(items));
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]).toMatchObject({ key: { id: 2 }, status: 422 });
    expect(results[1]!.error).toContain('status');
    expect(await svc.getItem('orders_c', { id: 2 })).toBeUndefined();
    expect(await svc.count('orders_c')).toBe(2);
  });

  it('Given a reject rule, when a single-item write matches, then it is an ok:false result, not a throw', async () => {
    svc.setKnobs({ reject: { field: 'name', pattern: '^bad' } });
    const c = client('widgets_r', { single: true });
    const results = await c.write([{ id: 1, name: 'good' }, { id: 2, name: 'bad-one' }], 'k-r');
    expect(results.map((r) => [r.ok, r.status])).toEqual([
      [true, 201],
      [false, 422],
    ]);
    expect(results[1]!.error).toMatch(/name/);
  });

  it('Given the service answers 503, when writing, then the client throws a retryable error naming service and status', async () => {
    svc.setKnobs({ failRate5xx: 1 });
    const err = await client('orders_d').write([{ id: 1 }], 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetRetryableError);
    expect((err as TargetRetryableError).status).toBe(503);
    expect((err as Error).message).toContain('"fulfillment"');
  });

  it('Given the service throttles with Retry-After: 7, when writing, then the retryable error carries retryAfterMs 7000', async () => {
    svc.setKnobs({ rate429: 1, retryAfterSeconds: 7 });
    const err = await client('orders_d').write([{ id: 1 }], 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetRetryableError);
    expect((err as TargetRetryableError).status).toBe(429);
    expect((err as TargetRetryableError).retryAfterMs).toBe(7000);
  });

  it('Given a wrong token, when writing, then the client throws an auth error whose message holds no header value', async () => {
    const c = client('orders_e', { config: { headers: { Authorization: 'Bearer wrong-token-zzz' } } });
    const err = await c.write([{ id: 1 }], 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetAuthError);
    expect((err as Error).message).toContain('401');
    expect(`${(err as Error).message} ${(err as TargetAuthError).hint}`).not.toContain('wrong-token-zzz');
    expect(await svc.count('orders_e')).toBe(0);
  });

  it('Given force401, when probing with valid credentials, then probe throws an auth error', async () => {
    svc.setKnobs({ force401: true });
    await expect(client('orders_e').probe()).rejects.toBeInstanceOf(TargetAuthError);
  });

  it('Given a healthy service, when probing in batch and single mode, then probe resolves', async () => {
    await expect(client('orders_e').probe()).resolves.toBeUndefined();
    await expect(client('widgets', { single: true }).probe()).resolves.toBeUndefined();
  });

  it('Given a port nothing listens on, when probing, then the client throws a retryable error', async () => {
    const c = createTargetClient({
      service: 'fulfillment',
      config: config({ baseUrl: 'http://127.0.0.1:9' }),
      endpoints: batchEndpoints('orders'),
      keyFields: ['id'],
    });
    await expect(c.probe()).rejects.toBeInstanceOf(TargetRetryableError);
  });

  it('Given a service slower than the timeout, when writing, then the client throws a retryable timeout error', async () => {
    svc.setKnobs({ latencyMs: 1500 });
    const err = await client('orders_f', { config: { timeout: '200ms' } })
      .write([{ id: 1 }], 'k')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetRetryableError);
    expect((err as Error).message).toMatch(/within 200ms/);
  });

  it('Given a wrong endpoint path, when writing, then the client throws a permanent error', async () => {
    const c = createTargetClient({
      service: 'fulfillment',
      config: config(),
      endpoints: { ...batchEndpoints('orders'), write: { method: 'POST', path: '/v2/nope', batch: 10 } },
      keyFields: ['id'],
    });
    await expect(c.write([{ id: 1 }], 'k')).rejects.toBeInstanceOf(TargetPermanentError);
  });

  it('Given 25 items written out of order, when listed in pages of 7, then every item comes back once in key order', async () => {
    const c = client('orders_g');
    const ids = Array.from({ length: 25 }, (_, i) => i + 1).sort((a, b) => (a * 7919) % 25 - (b * 7919) % 25);
    const items = ids.map((id) => ({ id, v: `v${id}` }));
    await c.write(items, idem(items));
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await c.list(cursor, 7);
      seen.push(...page.items.map((i) => Number(i.id)));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(pages).toBe(4);
  });

  it('Given no list endpoint in the plan, when listing, then the client throws TargetUnsupportedError', async () => {
    await expect(client('widgets', { single: true }).list(undefined, 10)).rejects.toBeInstanceOf(TargetUnsupportedError);
  });

  it('Given a batch re-sent with the same idempotency key, when the log is read, then items per key and repeated keys are counted', async () => {
    const c = client('orders_h');
    const items = [{ id: 1 }, { id: 2 }];
    await c.write(items, 'same-key');
    await c.write([items[0]!], 'same-key');
    expect(svc.receivedCount('orders_h', { id: 1 })).toBe(2);
    expect(svc.receivedCount('orders_h', { id: 2 })).toBe(1);
    expect(svc.requestLog.itemsReceived).toBe(3);
    expect(svc.requestLog.resentItems).toBe(1);
    expect(svc.requestLog.repeatedIdempotencyKeys).toBe(1);
  });

  it('Given a limiter handed to the client, when a batch of 3 and a read of 2 keys go out, then it is asked for 3 and 2 tokens', async () => {
    const asked: number[] = [];
    const c = createTargetClient({
      service: 'fulfillment',
      config: config(),
      endpoints: batchEndpoints('orders_i'),
      keyFields: ['id'],
      limiter: { perSecond: 1000, burst: 1000, acquire: async (n = 1) => void asked.push(n) },
    });
    await c.write([{ id: 1 }, { id: 2 }, { id: 3 }], 'k-i');
    await c.read([{ id: 1 }, { id: 2 }]);
    expect(asked).toEqual([3, 2]);
  });
});
