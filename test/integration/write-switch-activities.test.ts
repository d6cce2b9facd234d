/**
 * The write switch's activities against a real state store (PostgreSQL and MariaDB) through the
 * built-in flag provider: every one of them is safe to run twice, which is what lets the workflow
 * retry them and a new run resume from the journal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWriteSwitchActivities, RoutingMovedError } from '../../src/activities/writeSwitchActivities.js';
import { buildRoutingDocument } from '../../src/flags/routing.js';
import { RoutingEvaluator } from '../../src/flags/routingEvaluator.js';
import { createStateStoreFlagProvider } from '../../src/flags/stateStoreProvider.js';
import type { PlanResources } from '../../src/resources/planResources.js';
import { openStateStore } from '../../src/state/index.js';
import type { StateStore } from '../../src/state/types.js';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';

let dbs: TestDatabases;
beforeAll(async () => {
  dbs = await createTestDatabases('wsacts');
});
afterAll(async () => {
  await dbs?.drop();
});

const PLAN = 'orders-to-fulfillment';
const READS = { billing: 'new' as const };

describe.each([
  { dialect: 'postgres', url: () => dbs.pgUrl },
  { dialect: 'mysql', url: () => dbs.mysqlUrl },
])('write switch activities on $dialect', ({ url }) => {
  let store: StateStore;
  let acts: ReturnType<typeof createWriteSwitchActivities>;

  beforeAll(async () => {
    store = await openStateStore(url());
    const resources = { plan: { name: PLAN }, planFile: 'plans/orders.yaml', stateStore: async () => store, flags: async () => createStateStoreFlagProvider(store, PLAN) } as unknown as PlanResources;
    acts = createWriteSwitchActivities({ resources });
  });
  afterAll(async () => {
    await store?.close();
  });

  /** Routing of `entity` at epoch 7, writes legacy. */
  async function seed(entity: string): Promise<void> {
    for (let epoch = 1; epoch <= 7; epoch++) {
      await store.publishRouting({ plan: PLAN, entity, epoch, document: buildRoutingDocument({ plan: PLAN, entity, epoch, reads: READS, otherReads: 'new', writes: 'legacy' }), actor: 'test' });
    }
  }
  const writesAt = async (entity: string, epoch?: number) => {
    const r = await store.getRouting(PLAN, entity, epoch);
    return r && `${r.epoch}:${new RoutingEvaluator(r.document as never).writes()}`;
  };
  const fence = (entity: string) => ({ plan: PLAN, entity, epoch: 8, reads: READS, otherReads: 'new' as const, writes: 'fenced' as const, holdMs: 5000, switchId: `sw-${entity}`, step: 'fence' });

  it('Given the fence published, when the same publish runs again (a retry), then it answers the same epoch and publishes nothing more; the stored fence holds writes', async () => {
    await seed('twice');
    expect(await acts.publishWriteSwitchRouting(fence('twice'))).toEqual({ epoch: 8, previous: 'legacy' });
    expect(await acts.publishWriteSwitchRouting(fence('twice'))).toEqual({ epoch: 8, previous: 'legacy' });
    expect(await writesAt('twice')).toBe('8:fenced');
    const doc = (await store.getRouting(PLAN, 'twice'))!.document as { flags: Record<string, { metadata?: unknown }> };
    expect(doc.flags['twice.writes']!.metadata).toEqual({ tracerFence: 'hold', tracerFenceHoldMs: 5000 });
    const publishes = (await store.listAudit({ plan: PLAN, entity: 'twice' })).filter((a) => a.action === 'routing.publish');
    expect(publishes[0]).toMatchObject({ actor: 'migrate-worker (write switch)', reason: 'write switch sw-twice: fence', detail: { epoch: 8, previousEpoch: 7 } });
  });

  it('Given another publisher moved the routing to epoch 8, when the switch publishes its fence, then it is refused as RoutingMovedError and nothing is written', async () => {
    await seed('moved');
    await store.publishRouting({ plan: PLAN, entity: 'moved', epoch: 8, document: buildRoutingDocument({ plan: PLAN, entity: 'moved', epoch: 8, reads: {}, otherReads: 'shadow', writes: 'legacy' }), actor: 'someone' });
    const err = await acts.publishWriteSwitchRouting(fence('moved')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RoutingMovedError);
    expect((err as Error).message).toBe("routing of moved is at epoch 8; the write switch expected 7 and publishes nothing over another publisher's change");
    expect(await writesAt('moved')).toBe('8:legacy');
  });

  it('Given a fence in force, when the undo runs twice, then the first publishes the writes in force before the fence at the next epoch and the second finds nothing to undo', async () => {
    await seed('undo');
    await acts.publishWriteSwitchRouting(fence('undo'));
    const undo = { plan: PLAN, entity: 'undo', epoch: 7, reads: READS, otherReads: 'new' as const, switchId: 'sw-undo' };
    expect(await acts.undoWriteSwitch(undo)).toEqual({ epoch: 9, published: true, writes: 'legacy' });
    expect(await acts.undoWriteSwitch(undo)).toEqual({ epoch: 9, published: false });
    expect(await writesAt('undo')).toBe('9:legacy');
  });

  it('Given no fence was ever published, when the undo runs, then it publishes nothing', async () => {
    await seed('nofence');
    expect(await acts.undoWriteSwitch({ plan: PLAN, entity: 'nofence', epoch: 7, reads: READS, switchId: 'sw-nofence' })).toEqual({ epoch: 7, published: false });
    expect(await writesAt('nofence')).toBe('7:legacy');
  });

  it('Given a step recorded, when the same seq is recorded again, then the journal read back holds it once, with times as milliseconds', async () => {
    const entry = { plan: PLAN, entity: 'journal', switchId: 'sw-j', seq: 1, step: 'begin', outcome: 'done' as const, detail: 'write switch of journal to new, from routing epoch 7', epoch: 7 };
    await acts.recordWriteSwitchStep(entry);
    await acts.recordWriteSwitchStep(entry);
    const read = await acts.readWriteSwitchJournal({ plan: PLAN, entity: 'journal', switchId: 'sw-j' });
    expect(read.map(({ at: _at, ...e }) => e)).toEqual([{ seq: 1, step: 'begin', outcome: 'done', detail: 'write switch of journal to new, from routing epoch 7', epoch: 7 }]);
    expect(typeof read[0]!.at).toBe('number');
  });
});
