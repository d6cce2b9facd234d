/**
 * Reverse sync on real PostgreSQL and MariaDB (service → legacy, after writes moved): a writer
 * inserts, updates and deletes items in the service while reverse sync runs; the legacy table
 * converges, checked row by row against what the writer wrote; and nothing is echoed — the
 * legacy's capture triggers record none of reverse sync's writes, reverse sync writes nothing into
 * the service, and the items the backfill wrote (Tracer's own) are never written back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startLiveStack, type LiveStack } from '../support/harness.js';
import { ORDERS_SYNC_ENTITY_YAML, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { captureReport, installCapture } from '../../src/ops/sync.js';
import { planRetire, retire } from '../../src/ops/retire.js';
import { publishWrites } from '../support/routing.js';
import { UserError } from '../../src/errors.js';
import { reverseSyncProgress, startReverseSync, stopReverseSync } from '../../src/ops/reverseSync.js';
import { createReversePath } from '../../src/sync/reversePath.js';
import { collectStatus } from '../../src/ops/status.js';
import { statusSources } from '../../src/ops/statusSources.js';

const ROWS = 400;
const TOKEN = 'svc-token-reverse';
const ENTITY_YAML = ORDERS_SYNC_ENTITY_YAML({ batch: 200, partitions: 2, changes: { limit: 50, overlap: '2s' }, cutover: true });

type Item = { id: number; customerId: number; total: number; status: string; updatedAt: string };

/** A seeded row as the service holds it after the backfill (the seed's formula, seed.ts). */
const seeded = (id: number): Item => ({ id, customerId: (id % 97) + 1, total: id * 10 + 1, status: ['created', 'paid', 'shipped'][id % 3]!, updatedAt: new Date(Date.UTC(2024, 0, 1) + id * 1000).toISOString() });

describe.each(['postgres', 'mysql'] as const)('reverse sync into %s', (engine) => {
  let stack: LiveStack;

  beforeAll(async () => {
    stack = await startLiveStack({
      label: 'rsync',
      engine,
      seed: (url) => (engine === 'postgres' ? seedOrdersPg(url, ROWS) : seedOrdersMysql(url, ROWS)),
      service: { token: TOKEN },
      plan: { token: TOKEN, entitiesYaml: ENTITY_YAML },
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  /** Every legacy row, mapped as the backfill maps it, by id. */
  async function legacyItems(): Promise<Map<number, Record<string, unknown>>> {
    const { session } = stack;
    const source = await session.resources.source('legacy');
    const e = session.resources.entity('orders');
    const mapping = session.resources.mapping('orders');
    const out = new Map<number, Record<string, unknown>>();
    for (let page = await source.readPage(e.source, {}, 1000); page.rows.length > 0; page = await source.readPage(e.source, { after: page.last }, 1000)) {
      for (const r of page.rows) out.set(Number(r.id), mapping.map(r));
    }
    return out;
  }

  it('Given writes moved to the service and capture still installed on the legacy, when a writer inserts, updates and deletes service items while reverse sync runs, then the legacy converges row by row and nothing is echoed', async () => {
    const { session, service } = stack;
    await installCapture(session, 'orders', 'test');
    await (await startBackfill(session, 'orders', 'test')).handle.result();
    const log = session.resources.changeLog('orders');
    expect((await log.lag()).pending).toBe(0);

    await startReverseSync(session, 'orders', 'test');
    // Its first pass reads every backfilled item and writes none back: they came from the legacy.
    const first = await eventually(async () => {
      const p = await reverseSyncProgress(session, 'orders');
      return p !== undefined && p.skippedOwn >= ROWS && p.appliedThrough !== undefined && p;
    }, 60_000, 250);
    expect(first.changes).toBe(0);
    service.resetLog();

    // The writer: an application writing to the service (no Tracer-Origin header), 300 writes.
    const expected = new Map<number, Item | null>();
    for (let id = 1; id <= ROWS; id++) expected.set(id, seeded(id));
    const send = async (method: string, id: number, body?: Item) => {
      const res = await fetch(`${service.url}/v1/orders/${id}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect([200, 201, 204]).toContain(res.status);
      await res.arrayBuffer();
    };
    const stamp = (n: number) => new Date(Date.UTC(2026, 11, 3, 7, 0, 0) + n * 7).toISOString();
    let writes = 0;
    for (let n = 0; n < 300; n++) {
      const kind = n % 5;
      if (kind === 0 || kind === 1) {
        const id = 1 + ((n * 7) % ROWS);
        if (expected.get(id) === null) continue;
        const item: Item = { ...seeded(id), total: 100_000 + n, status: ['created', 'paid', 'shipped'][n % 3]!, updatedAt: stamp(n) };
        await send('PUT', id, item);
        expected.set(id, item);
      } else if (kind === 2 || kind === 4) {
        const id = ROWS + 1 + Math.floor(n / 5) + (kind === 4 ? 1000 : 0);
        const item: Item = { id, customerId: 5, total: n, status: 'created', updatedAt: stamp(n) };
        await send('PUT', id, item);
        expected.set(id, item);
      } else {
        const id = 3 + ((n * 11) % (ROWS - 3));
        if (expected.get(id) === null) continue;
        await send('DELETE', id);
        expected.set(id, null);
      }
      writes += 1;
      if (n % 20 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    const deletedIds = [...expected].filter(([, v]) => v === null).map(([id]) => id);
    expect(deletedIds.length).toBeGreaterThan(40);

    // Converged: the legacy holds exactly the writer's final state, row by row.
    const wanted = new Map([...expected].filter((e): e is [number, Item] => e[1] !== null));
    const legacy = await eventually(async () => {
      const now = await legacyItems();
      if (now.size !== wanted.size) return undefined;
      for (const [id, item] of wanted) if (JSON.stringify(now.get(id)) !== JSON.stringify(item)) return undefined;
      return now;
    }, 60_000, 500);
    expect([...legacy.keys()].sort((a, b) => a - b)).toEqual([...wanted.keys()].sort((a, b) => a - b));
    for (const [id, item] of wanted) expect(legacy.get(id)).toEqual(item);
    for (const id of deletedIds) expect(legacy.has(id)).toBe(false);
    // One row checked by hand: id 1 was updated by write 0 (total 100000, status created).
    expect(legacy.get(1)).toEqual({ id: 1, customerId: 2, total: 100_000, status: 'created', updatedAt: '2026-12-03T07:00:00.000Z' });

    // No echo: capture recorded none of reverse sync's legacy writes, and reverse sync wrote nothing to the service.
    expect(await log.lag()).toEqual({ pending: 0, oldestSeconds: 0 });
    expect(service.requestLog.writes).toBe(writes);
    const p = await eventually(async () => {
      const q = await reverseSyncProgress(session, 'orders');
      return q !== undefined && q.lag?.pending === 0 && q.changes >= wanted.size - ROWS + deletedIds.length && q;
    }, 30_000, 250);
    expect(p).toMatchObject({ state: 'running', failed: 0 });
    expect(p.deleted).toBe(deletedIds.length);

    // migrate status shows it: running, caught up, how far, and Tracer's own writes skipped.
    const shown = (await collectStatus(session, statusSources())).entities.find((x) => x.entity === 'orders')!.reverseSync!;
    expect(shown).toMatchObject({ state: 'running', changes: p.changes, failed: 0, lag: { pending: 0, oldestSeconds: 0 } });
    expect(shown.skippedOwn).toBeGreaterThanOrEqual(ROWS);
    expect(shown.appliedThrough).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    // The write switch's view: the reverse path is ready, and once the writer stopped (the fence), everything up to now reaches the legacy.
    const path = createReversePath(session.resources);
    expect(await path.ready(session.loaded.plan.name, 'orders')).toEqual({ ok: true, detail: 'the map of orders inverts and the service\'s change feed answers' });
    const head = await path.head(session.loaded.plan.name, 'orders');
    await eventually(async () => (await path.behind(session.loaded.plan.name, 'orders', head!)) === undefined, 30_000, 250);

    expect(await stopReverseSync(session, 'orders', 'test', 'test done')).toBe(true);
    expect((await reverseSyncProgress(session, 'orders'))?.state).toBe('stopped');
  });

  it('Given reverse sync running, when retire is asked before writes moved and before every consumer acknowledged, then it is refused with the reason and the command; once they have, the dry run lists every step and retire stops reverse sync, removes capture and records it', async () => {
    const { session } = stack;
    const plan = session.loaded.plan.name;
    if (!(await captureReport(session, 'orders')).state.installed) await installCapture(session, 'orders', 'test');
    await startReverseSync(session, 'orders', 'test');

    // No routing yet: every consumer still uses the legacy.
    const before = await planRetire(session, 'orders');
    expect(before.refusals).toEqual([{ reason: 'no routing was ever published for orders: every consumer still reads and writes the legacy', fix: 'migrate cutover --entity orders' }]);
    await expect(retire(session, 'orders', 'test')).rejects.toBeInstanceOf(UserError);

    // Writes moved, but billing never acknowledged the epoch.
    const epoch = await publishWrites(await session.resources.flags(), plan, 'orders', 'new');
    const unacked = await planRetire(session, 'orders');
    expect(unacked.refusals).toEqual([
      {
        reason: `not every consumer runs routing epoch ${epoch} yet, so one may still use the legacy: billing (no instance has reported)`,
        fix: 'wait until they acknowledge (see `migrate cutover --entity orders`), then run `migrate retire --entity orders` again',
      },
    ]);
    await expect(retire(session, 'orders', 'test')).rejects.toThrow(`retire of orders refused: not every consumer runs routing epoch ${epoch} yet`);
    expect((await reverseSyncProgress(session, 'orders'))?.state).toBe('running');

    // billing acknowledges the epoch: the dry run shows every step and changes nothing.
    const store = await session.resources.stateStore();
    await store.saveConsumerReport(plan, 'orders', { consumer: 'billing', instance: 'h:1', seq: 0, ack: { epoch, inFlightWrites: 0, failureLogDepth: 0, routingStale: false }, epochs: [] });
    const dry = await planRetire(session, 'orders');
    expect(dry.refusals).toEqual([]);
    expect(dry.steps.map((x) => [x.step, x.skip ?? false])).toEqual([
      ['stop-reverse-sync', false],
      ['stop-forward-sync', true],
      ['uninstall-capture', false],
      ['end-cutover', true],
      ['record', false],
    ]);
    expect(dry.steps[2]!.detail).toContain('remove change capture from orders: DROP TRIGGER IF EXISTS');
    expect(dry.mayDelete[0]).toBe('the legacy table legacy.orders (the service is the source of truth; keep a backup as your retention rules require)');
    expect((await reverseSyncProgress(session, 'orders'))?.state).toBe('running');
    expect((await captureReport(session, 'orders')).state.installed).toBe(true);

    const out = await retire(session, 'orders', 'test', 'migration finished');
    expect(out.done).toEqual(['reverse sync stopped', 'change capture removed', 'final state recorded in the audit log (action retire)']);
    expect((await reverseSyncProgress(session, 'orders'))?.state).toBe('stopped');
    expect((await captureReport(session, 'orders')).state).toMatchObject({ installed: false, partial: false });
    const audit = await store.listAudit({ plan, entity: 'orders', limit: 10 });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['retire', 'sync.reverse.stop', 'sync.capture.uninstall']));
    expect(audit.find((a) => a.action === 'retire')).toMatchObject({ actor: 'test', reason: 'migration finished', detail: { epoch } });
  });
});
