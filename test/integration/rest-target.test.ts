/**
 * The REST target client against a real plain REST service (json-server 0.17 in its own process):
 * upserts built from its verbs converge however often an item is re-sent, multi-GET reads, paged
 * listing, deletes, and which answers fail one item rather than the whole sweep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient } from '../../src/service/rest.js';
import { createGate } from '../../src/service/gate.js';
import { TargetRetryableError } from '../../src/service/errors.js';
import { restTargetSchema, type RestTarget, type TargetServiceConfig } from '../../src/plan/schema.js';
import type { TargetItem } from '../../src/service/types.js';
import { REJECTING_MIDDLEWARE, startJsonServer, type JsonServer } from '../support/jsonServer.js';

let js: JsonServer;
const COLLECTIONS = ['upd', 'crt', 'crt500', 'many', 'listed', 'gone', 'refused', 'probe'];

beforeAll(async () => {
  js = await startJsonServer({ collections: COLLECTIONS, middlewares: [REJECTING_MIDDLEWARE] });
});

afterAll(async () => {
  await js?.stop();
});

const config = (): TargetServiceConfig => ({ baseUrl: js.url, headers: {}, timeout: '5s', concurrency: 4 });

/** A REST target for `/{collection}` as json-server serves it; `over` is merged into the profile. */
function target(collection: string, over: Record<string, unknown> = {}): RestTarget {
  return restTargetSchema.parse({
    service: 'films',
    key: ['id'],
    rest: {
      create: { path: `/${collection}` },
      update: { path: `/${collection}/{key}` },
      read: { path: `/${collection}/{key}` },
      readMany: { path: `/${collection}`, param: 'id' },
      list: { path: `/${collection}`, pageParam: '_page', limitParam: '_limit' },
      ...over,
    },
  });
}

/** Counts requests by method, passing them on to the real fetch. */
function countingFetch() {
  const counts: Record<string, number> = {};
  const urls: string[] = [];
  const f: typeof fetch = (input, init) => {
    const m = init?.method ?? 'GET';
    counts[m] = (counts[m] ?? 0) + 1;
    urls.push(String(input));
    return fetch(input, init);
  };
  return { fetch: f, counts, urls };
}

const byId = (items: Record<string, unknown>[]) => [...items].sort((a, b) => String(a.id).localeCompare(String(b.id)));
const films = (ids: string[], title = 'Alien') => ids.map((id) => ({ id, title, features: ['Trailers', 'Commentaries'] }));

describe('REST target client against json-server', () => {
  it('Given update-first upserts, when items are written, re-sent as after a crash, then changed, then each is stored once with its last content', async () => {
    const c = countingFetch();
    const client = createRestClient({ service: 'films', config: config(), target: target('upd'), keyFields: ['id'], fetch: c.fetch });
    const items = films(['1-1', '1-2', '2-1']);

    const first = await client.write(items, 'k1');
    expect(first.map((r) => [r.key, r.ok, r.status])).toEqual([
      [{ id: '1-1' }, true, 201],
      [{ id: '1-2' }, true, 201],
      [{ id: '2-1' }, true, 201],
    ]);
    // Each item: PUT answered 404 (the signal to create), then POST created it.
    expect(c.counts).toEqual({ PUT: 3, POST: 3 });

    const again = await client.write(items, 'k1');
    expect(again.every((r) => r.ok && r.status === 200)).toBe(true);
    await client.write(films(['1-2'], 'Aliens'), 'k2');

    // Items of one write go concurrently, so the service's insertion order is not theirs.
    expect(byId(await js.all('upd'))).toEqual([...films(['1-1']), ...films(['1-2'], 'Aliens'), ...films(['2-1'])]);
  });

  it('Given create-first upserts and a service answering 500 "duplicate id", when items are re-sent, then the body pattern turns the 500 into an update and nothing is duplicated', async () => {
    const client = createRestClient({
      service: 'films',
      config: config(),
      target: target('crt500', { upsert: 'create-first', exists: { status: [500], bodyPattern: 'duplicate id' } }),
      keyFields: ['id'],
    });
    expect((await client.write(films(['a', 'b']), 'k')).map((r) => r.status)).toEqual([201, 201]);
    const resent = await client.write(films(['a', 'b'], 'Alien³'), 'k');
    expect(resent.map((r) => [r.ok, r.status])).toEqual([
      [true, 200],
      [true, 200],
    ]);
    expect(byId(await js.all('crt500'))).toEqual(films(['a', 'b'], 'Alien³'));
  });

  it('Given create-first upserts without a body pattern, when the service answers 500 to a duplicate, then the write is retryable, never a silent success or a logged failure', async () => {
    const client = createRestClient({ service: 'films', config: config(), target: target('crt', { upsert: 'create-first' }), keyFields: ['id'] });
    await client.write(films(['x']), 'k');
    await expect(client.write(films(['x']), 'k')).rejects.toBeInstanceOf(TargetRetryableError);
  });

  it('Given 120 stored items, when 121 keys are read with a 300-character URL limit, then several multi-GETs within the limit find all 120 and the unknown key is absent', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `m-${i}`);
    const writer = createRestClient({ service: 'films', config: config(), target: target('many'), keyFields: ['id'] });
    await writer.write(films(ids), 'k');
    const c = countingFetch();
    const reader = createRestClient({
      service: 'films',
      config: config(),
      target: target('many', { readMany: { path: '/many', param: 'id', maxUrlLength: 300 } }),
      keyFields: ['id'],
      fetch: c.fetch,
    });
    const found = await reader.read([...ids, 'm-missing'].map((id) => ({ id })));
    expect(found.map((i) => i.id).sort()).toEqual([...ids].sort());
    expect(c.counts.GET).toBeGreaterThan(1);
    expect(c.counts.GET).toBeLessThan(121);
    for (const u of c.urls) expect(u.length).toBeLessThanOrEqual(300);
  });

  it('Given no readMany, when keys are read, then one GET per key and 404 means missing', async () => {
    await createRestClient({ service: 'films', config: config(), target: target('listed'), keyFields: ['id'] }).write(films(['s1']), 'k');
    const c = countingFetch();
    const t = target('listed');
    delete (t.rest as { readMany?: unknown }).readMany;
    const reader = createRestClient({ service: 'films', config: config(), target: t, keyFields: ['id'], fetch: c.fetch });
    expect(await reader.read([{ id: 's1' }, { id: 'nope' }])).toEqual(films(['s1']));
    expect(c.counts.GET).toBe(2);
  });

  it('Given 7 items, when listed 3 at a time by _page/_limit, then three pages hold all 7 and the last has no next cursor', async () => {
    const ids = ['l1', 'l2', 'l3', 'l4', 'l5', 'l6'];
    const client = createRestClient({ service: 'films', config: config(), target: target('listed'), keyFields: ['id'] });
    await client.write(films(ids), 'k');
    const seen: unknown[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.list(cursor, 3);
      pages++;
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect([...seen].sort()).toEqual(['s1', ...ids].sort());
  });

  it('Given stored items, when removed, then they are gone and an already-missing key counts as removed', async () => {
    const client = createRestClient({ service: 'films', config: config(), target: target('gone'), keyFields: ['id'] });
    await client.write(films(['g1', 'g2']), 'k');
    const results = await client.remove!([{ id: 'g1' }, { id: 'never' }]);
    expect(results.map((r) => [r.key, r.ok, r.status])).toEqual([
      [{ id: 'g1' }, true, 200],
      [{ id: 'never' }, true, 404],
    ]);
    expect(await js.all('gone')).toEqual(films(['g2']));
  });

  it('Given a service refusing one item with 422 and a wrong create path answering 404, when written, then those items fail alone with the reason and the others are stored', async () => {
    const client = createRestClient({ service: 'films', config: config(), target: target('refused'), keyFields: ['id'] });
    const items: TargetItem[] = [...films(['r1']), { id: 'r2', title: 'bogus' }, ...films(['r3'])];
    const results = await client.write(items, 'k');
    expect(results.map((r) => [r.ok, r.status])).toEqual([
      [true, 201],
      [false, 422],
      [true, 201],
    ]);
    expect(results[1]!.error).toContain('title "bogus" is not allowed');

    const wrong = createRestClient({ service: 'films', config: config(), target: target('refused', { create: { path: '/no-such-collection/nested' } }), keyFields: ['id'] });
    const [r] = await wrong.write(films(['r9']), 'k');
    expect(r).toMatchObject({ ok: false, status: 404 });
    expect(r!.error).toContain('POST /no-such-collection/nested answered HTTP 404');
    expect(byId(await js.all('refused')).map((i) => i.id)).toEqual(['r1', 'r3']);
  });

  it('Given two clients sharing one gate of 2, when both write 20 items at once, then never more than 2 requests are in flight', async () => {
    const gate = createGate(2);
    let inFlight = 0;
    let most = 0;
    const f: typeof fetch = async (input, init) => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const make = (col: string) => createRestClient({ service: 'films', config: { ...config(), concurrency: 8 }, target: target(col), keyFields: ['id'], gate, fetch: f });
    await Promise.all([make('probe').write(films(Array.from({ length: 20 }, (_, i) => `p${i}`)), 'k'), make('probe').write(films(Array.from({ length: 20 }, (_, i) => `q${i}`)), 'k')]);
    expect(most).toBe(2);
    expect((await js.all('probe')).length).toBe(40);
  });

  it('Given json-server, when the write path is probed, then OPTIONS proves both verbs and nothing is written', async () => {
    const client = createRestClient({ service: 'films', config: config(), target: target('upd'), keyFields: ['id'] });
    const before = await js.all('upd');
    const probe = await client.probeWrite!();
    expect(probe.proven).toEqual(['POST /upd', 'PUT /upd/{key}']);
    expect(probe.refused).toEqual([]);
    expect(probe.unchecked).toEqual(['whether the service accepts the mapped items (field names and types) is not checked without writing one']);
    expect(await js.all('upd')).toEqual(before);
  });
});
