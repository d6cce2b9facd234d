/**
 * Backfill through the real service on both legacy engines: every row arrives, mapped exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveStack, type LiveStack } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, expectedOrder, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { startBackfill } from '../../src/ops/backfill.js';

describe.each(['postgres', 'mysql'] as const)('backfill from %s', (engine) => {
  const ROWS = 5_000;
  let stack: LiveStack;

  beforeAll(async () => {
    stack = await startLiveStack({
      label: 'bf',
      engine,
      seed: (url) => (engine === 'postgres' ? seedOrdersPg(url, ROWS) : seedOrdersMysql(url, ROWS)),
      service: { token: 'svc-token-123' },
      plan: { token: 'svc-token-123', entitiesYaml: ORDERS_ENTITY_YAML({ batch: 200, partitions: 3 }) },
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('given a legacy table, when the backfill runs to completion, then every row is in the service exactly as mapped', async () => {
    const { handle, how } = await startBackfill(stack.session, 'orders', 'test');
    expect(how).toBe('started');
    const result = await handle.result();
    expect(result).toMatchObject({ kind: 'backfill', done: ROWS, failures: 0 });
    expect(await stack.service.count('orders')).toBe(ROWS);
    for (let id = 1; id <= ROWS; id++) {
      expect(await stack.service.getItem('orders', { id })).toEqual(expectedOrder(id));
    }
  });
});
