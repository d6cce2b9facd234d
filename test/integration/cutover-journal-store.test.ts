/**
 * The write switch's journal (`migrate_cutover_journal`) on real PostgreSQL and MariaDB: entries
 * come back in step order with what they measured, a retried append stores nothing twice, and
 * every entry is in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/index.js';
import type { StateStore } from '../../src/state/types.js';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';

let dbs: TestDatabases;
beforeAll(async () => {
  dbs = await createTestDatabases('journal');
});
afterAll(async () => {
  await dbs?.drop();
});

describe.each([
  { dialect: 'postgres', url: () => dbs.pgUrl },
  { dialect: 'mysql', url: () => dbs.mysqlUrl },
])('cutover journal on $dialect', ({ url }) => {
  let store: StateStore;
  const plan = 'orders-to-fulfillment';
  const sw = 'migrate/orders-to-fulfillment/orders/write-switch/1';

  beforeAll(async () => {
    store = await openStateStore(url());
  });
  afterAll(async () => {
    await store?.close();
  });

  it('Given three steps appended, when the switch journal is read, then they come back in seq order with outcome, epoch and data', async () => {
    await store.appendJournal(plan, 'orders', { switchId: sw, seq: 1, step: 'preconditions', outcome: 'done', detail: 'all reads new' }, 'worker');
    await store.appendJournal(plan, 'orders', { switchId: sw, seq: 2, step: 'fence', outcome: 'done', detail: 'publish epoch 8', epoch: 8, data: { from: 'legacy' } }, 'worker');
    await store.appendJournal(plan, 'orders', { switchId: sw, seq: 3, step: 'drain', outcome: 'failed', detail: 'still waiting for billing/a', epoch: 8, data: { waitingFor: ['billing/a'] } }, 'worker');

    const entries = await store.listJournal(plan, 'orders', sw);
    expect(entries.map(({ at: _at, ...e }) => e)).toEqual([
      { switchId: sw, seq: 1, step: 'preconditions', outcome: 'done', detail: 'all reads new' },
      { switchId: sw, seq: 2, step: 'fence', outcome: 'done', detail: 'publish epoch 8', epoch: 8, data: { from: 'legacy' } },
      { switchId: sw, seq: 3, step: 'drain', outcome: 'failed', detail: 'still waiting for billing/a', epoch: 8, data: { waitingFor: ['billing/a'] } },
    ]);
    expect(entries.every((e) => e.at instanceof Date && !Number.isNaN(e.at.getTime()))).toBe(true);
  });

  it('Given an entry already stored, when the same seq is appended again (a retried activity), then the first entry stays and is answered, and it is audited once', async () => {
    const first = await store.appendJournal(plan, 'retry', { switchId: sw, seq: 1, step: 'fence', outcome: 'done', detail: 'publish epoch 3', epoch: 3 }, 'worker');
    const again = await store.appendJournal(plan, 'retry', { switchId: sw, seq: 1, step: 'fence', outcome: 'done', detail: 'publish epoch 3', epoch: 3 }, 'worker');
    expect(again).toEqual(first);
    expect(await store.listJournal(plan, 'retry', sw)).toHaveLength(1);
    const audit = (await store.listAudit({ plan, entity: 'retry' })).filter((a) => a.action === 'cutover.write-switch');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'worker', detail: { switchId: sw, seq: 1, step: 'fence', outcome: 'done', detail: 'publish epoch 3', epoch: 3 } });
  });

  it('Given two switches of one entity, when the journal is read with and without a switch ID, then each switch has its own entries and the entity lists both', async () => {
    const sw2 = 'migrate/orders-to-fulfillment/two/write-switch/2';
    const sw1 = 'migrate/orders-to-fulfillment/two/write-switch/1';
    await store.appendJournal(plan, 'two', { switchId: sw1, seq: 1, step: 'fence', outcome: 'done', detail: 'a' }, 'worker');
    await store.appendJournal(plan, 'two', { switchId: sw2, seq: 1, step: 'fence', outcome: 'done', detail: 'b' }, 'worker');
    expect((await store.listJournal(plan, 'two', sw2)).map((e) => e.detail)).toEqual(['b']);
    expect((await store.listJournal(plan, 'two')).map((e) => `${e.switchId}#${e.seq}`).sort()).toEqual([`${sw1}#1`, `${sw2}#1`]);
    expect(await store.listJournal(plan, 'nobody', sw1)).toEqual([]);
  });
});
