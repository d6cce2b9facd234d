/**
 * Scale and exactness: 50,000 rows backfilled from each legacy engine, and every item in the service
 * compared one by one with what the mapping makes of its source row.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveStack, type LiveStack } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, expectedOrder, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { startBackfill } from '../../src/ops/backfill.js';

const ROWS = 50_000;

describe.each(['postgres', 'mysql'] as const)('50,000-row backfill from %s', (engine) => {
  let stack: LiveStack;

  beforeAll(async () => {
    stack = await startLiveStack({
      label: 'bfrows',
      engine,
      seed: (url) => (engine === 'postgres' ? seedOrdersPg(url, ROWS) : seedOrdersMysql(url, ROWS)),
      // Counting receipts per key for 50k keys is cheap and lets the test see that nothing was sent twice.
      service: { token: 'rows-token-1234' },
      plan: { token: 'rows-token-1234', entitiesYaml: ORDERS_ENTITY_YAML({ batch: 500, partitions: 4 }) },
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('given 50,000 legacy rows, when the backfill completes, then every item in the service equals its mapped source row, each sent once', async () => {
    const { handle } = await startBackfill(stack.session, 'orders', 'test');
    expect(await handle.result()).toMatchObject({ kind: 'backfill', done: ROWS, failures: 0 });

    const items = await stack.service.allItems('orders');
    expect(items).toHaveLength(ROWS);
    const byId = new Map(items.map((it) => [it.id as number, it]));
    const wrong: { id: number; got: unknown }[] = [];
    for (let id = 1; id <= ROWS; id++) {
      const got = byId.get(id);
      if (!isDeepStrictEqual(got, expectedOrder(id))) wrong.push({ id, got });
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(wrong).toHaveLength(0);
    expect(stack.service.requestLog.itemsReceived).toBe(ROWS);
    expect(stack.service.requestLog.resentItems).toBe(0);
  });
});
