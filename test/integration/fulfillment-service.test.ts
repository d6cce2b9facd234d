import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, DEFAULT_KNOBS, type FulfillmentService } from '../../examples/fulfillment-service/index.js';

let dbs: TestDatabases;
let svc: FulfillmentService;

beforeAll(async () => {
  dbs = await createTestDatabases('fulfillmentsvc');
  svc = await startFulfillmentService({ databaseUrl: dbs.pgUrl, token: 'svc-token-1234' });
});

afterAll(async () => {
  await svc?.close();
  await dbs?.drop();
});

beforeEach(() => {
  svc.setKnobs(DEFAULT_KNOBS);
  svc.resetLog();
});

const auth = { authorization: 'Bearer svc-token-1234', 'content-type': 'application/json' };

async function post(path: string, body: unknown, headers: Record<string, string> = auth) {
  return fetch(svc.url + path, { method: 'POST', headers, body: JSON.stringify(body) });
}

describe('reference fulfillment service', () => {
  it('Given failRate5xx 0.2, when 50 requests arrive, then exactly 10 get 503 and never two in a row', async () => {
    svc.setKnobs({ failRate5xx: 0.2 });
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await post('/v1/d:batchGet', { keys: [] })).status);
    expect(statuses.filter((s) => s === 503)).toHaveLength(10);
    expect(statuses.some((s, i) => s === 503 && statuses[i + 1] === 503)).toBe(false);
    expect(svc.requestLog.injected['503']).toBe(10);
  });

  it('Given rate429 with retryAfterSeconds 3, when a request is throttled, then it carries Retry-After: 3', async () => {
    svc.setKnobs({ rate429: 1, retryAfterSeconds: 3 });
    const res = await post('/v1/d:batchGet', { keys: [] });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
  });

  it('Given failScope writes, when reads and writes arrive, then only writes fail', async () => {
    svc.setKnobs({ failRate5xx: 1, failScope: 'writes' });
    expect((await post('/v1/d:batchGet', { keys: [] })).status).toBe(200);
    expect((await post('/v1/d:batchUpsert', { items: [{ id: 1 }] })).status).toBe(503);
    expect(await svc.count('d')).toBe(0);
  });

  it('Given a token, when /v1 is called without it, then 401, while /healthz and /admin need none', async () => {
    expect((await post('/v1/d:batchGet', { keys: [] }, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${svc.url}/admin/requests`)).status).toBe(200);
  });

  it('Given knobs posted to /admin/knobs, when a matching item is written, then it is rejected and the admin log shows it', async () => {
    const set = await fetch(`${svc.url}/admin/knobs`, { method: 'POST', body: JSON.stringify({ reject: { field: 'sku', pattern: '^X' } }) });
    expect(set.status).toBe(200);
    const res = await post('/v1/k:batchUpsert', { items: [{ id: 1, sku: 'A1' }, { id: 2, sku: 'X9' }] });
    const body = (await res.json()) as { results: { status: number }[] };
    expect(body.results.map((r) => r.status)).toEqual([201, 422]);
    const log = (await (await fetch(`${svc.url}/admin/requests?keys=1`)).json()) as {
      itemStatuses: Record<string, number>;
      itemsByKey: Record<string, number>;
    };
    expect(log.itemStatuses).toEqual({ '201': 1, '422': 1 });
    expect(log.itemsByKey).toEqual({ 'k/1': 1, 'k/2': 1 });
    await fetch(`${svc.url}/admin/reset-log`, { method: 'POST' });
    expect(svc.requestLog.total).toBe(0);
  });

  it('Given numbers, decimals and nested values, when stored and read back, then they round-trip as JSON numbers', async () => {
    const item = { id: 5, total: 12.5, big: 9007199254740991, nested: { a: [1, 2.25], ok: true }, note: null };
    await post('/v1/n:batchUpsert', { items: [item] });
    const res = await fetch(`${svc.url}/v1/n/5`, { headers: auth });
    expect(await res.json()).toEqual(item);
  });

  it('Given a stored item, when deleted by path, then a read by path answers 404', async () => {
    await svc.putItem('del', { id: 'a b', v: 1 });
    expect((await fetch(`${svc.url}/v1/del/a%20b`, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await fetch(`${svc.url}/v1/del/a%20b`, { headers: auth })).status).toBe(404);
  });

  it('Given the same key twice in one batch, when upserted, then the last occurrence is stored', async () => {
    const res = await post('/v1/dup:batchUpsert', { items: [{ id: 1, v: 'first' }, { id: 1, v: 'last' }] });
    expect(res.status).toBe(200);
    expect(await svc.getItem('dup', { id: 1 })).toEqual({ id: 1, v: 'last' });
  });

  it('Given main.ts started with env settings, when it prints its URL, then it serves with the token and env knobs', async () => {
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['--import', 'tsx', 'examples/fulfillment-service/main.ts', '--port', '0'], {
        env: {
          ...process.env,
          FULFILLMENT_DATABASE_URL: dbs.pgUrl,
          FULFILLMENT_TOKEN: 'proc-token-9876',
          FULFILLMENT_SCHEMA: 'fulfillment_proc',
          FULFILLMENT_RATE_429: '1',
          FULFILLMENT_RETRY_AFTER_SECONDS: '4',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child!.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child!.once('exit', (code) => reject(new Error(`main.ts exited with ${code}`)));
      });
      expect((await fetch(`${url}/v1/x:batchGet`, { method: 'POST', body: '{"keys":[]}' })).status).toBe(401);
      const res = await fetch(`${url}/v1/x:batchGet`, { method: 'POST', headers: { authorization: 'Bearer proc-token-9876' }, body: '{"keys":[]}' });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('4');
    } finally {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
  });

  it('Given writes by Tracer (Tracer-Origin: sync) and by an application and a delete, when the change feed is read a change at a time, then it lists each key\'s latest state once in time order, with the origin and a tombstone', async () => {
    const get = async (q: string) => (await (await fetch(`${svc.url}/v1/feed:changes?${q}`, { headers: auth })).json()) as { changes: { key: { id: number }; updatedAt: string; item?: unknown; deleted?: boolean; origin?: string }[] };
    expect((await post('/v1/feed:batchUpsert', { items: [{ id: 1, v: 'a' }, { id: 2, v: 'b' }] }, { ...auth, 'tracer-origin': 'sync' })).status).toBe(200);
    expect((await post('/v1/feed:batchUpsert', { items: [{ id: 3, v: 'c' }, { id: 1, v: 'a2' }] })).status).toBe(200);
    expect((await post('/v1/feed:batchDelete', { keys: [{ id: 2 }] })).status).toBe(200);

    const walked: { key: { id: number }; item?: unknown; deleted?: boolean; origin?: string }[] = [];
    let q = 'updatedSince=1970-01-01T00:00:00Z&limit=1';
    for (let i = 0; i < 10; i++) {
      const { changes } = await get(q);
      if (changes.length === 0) break;
      const c = changes[0]!;
      expect(c.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      const { updatedAt: _t, ...rest } = c;
      walked.push(rest);
      q = `updatedSince=${encodeURIComponent(c.updatedAt)}&afterKey=${c.key.id}&limit=1`;
    }
    // 3 and 1 were upserted by one statement, which writes in key order: 1 first.
    expect(walked).toEqual([
      { key: { id: 1 }, item: { id: 1, v: 'a2' } },
      { key: { id: 3 }, item: { id: 3, v: 'c' } },
      { key: { id: 2 }, deleted: true },
    ]);

    // Written again, the deleted key is an item once more and its tombstone is gone.
    expect((await post('/v1/feed:batchUpsert', { items: [{ id: 2, v: 'b2' }] }, { ...auth, 'tracer-origin': 'sync' })).status).toBe(200);
    const all = (await get('updatedSince=1970-01-01T00:00:00Z')).changes.map(({ updatedAt: _t, ...rest }) => rest);
    expect(all).toEqual([
      { key: { id: 1 }, item: { id: 1, v: 'a2' } },
      { key: { id: 3 }, item: { id: 3, v: 'c' } },
      { key: { id: 2 }, item: { id: 2, v: 'b2' }, origin: 'sync' },
    ]);
  });
});
