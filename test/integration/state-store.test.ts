import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { EnvironmentError } from '../../src/errors.js';
import { secrets } from '../../src/secrets.js';
import { buildRoutingDocument, createStateStoreFlagProvider, type RoutingStage } from '../../src/flags/index.js';
import { UserError } from '../../src/errors.js';
import { openStateStore } from '../../src/state/index.js';
import type { StateStore } from '../../src/state/types.js';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';

let dbs: TestDatabases;
let raceDbs: TestDatabases;
let upgradeDbs: TestDatabases;

beforeAll(async () => {
  [dbs, raceDbs, upgradeDbs] = await Promise.all([
    createTestDatabases('statestore'),
    createTestDatabases('staterace'),
    createTestDatabases('stateupgrade'),
  ]);
});

afterAll(async () => {
  await Promise.all([dbs?.drop(), raceDbs?.drop(), upgradeDbs?.drop()]);
});

/** Runs statements directly, to put a store into a state only an older version would have left. */
async function exec(dialect: 'postgres' | 'mysql', url: string, statements: string[]): Promise<void> {
  if (dialect === 'postgres') {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    for (const s of statements) await c.query(s);
    await c.end();
    return;
  }
  const c = await mysql.createConnection(url);
  for (const s of statements) await c.query(s);
  await c.end();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tableNames(dialect: 'postgres' | 'mysql', url: string): Promise<string[]> {
  if (dialect === 'postgres') {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query<{ t: string }>(`select tablename as t from pg_tables where tablename like 'migrate%' order by 1`);
    await c.end();
    return rows.map((r) => r.t);
  }
  const c = await mysql.createConnection(url);
  const [rows] = await c.query(`select table_name as t from information_schema.tables where table_schema = database() and table_name like 'migrate%' order by 1`);
  await c.end();
  return (rows as { t: string }[]).map((r) => r.t);
}

describe.each([
  {
    dialect: 'postgres' as const,
    url: () => dbs.pgUrl,
    raceUrl: () => raceDbs.pgUrl,
    upgradeUrl: () => upgradeDbs.pgUrl,
    badUrl: 'postgres://alice:s3cret-pw-xyz@127.0.0.1:1/nowhere',
  },
  {
    dialect: 'mysql' as const,
    url: () => dbs.mysqlUrl,
    raceUrl: () => raceDbs.mysqlUrl,
    upgradeUrl: () => upgradeDbs.mysqlUrl,
    badUrl: 'mysql://alice:s3cret-pw-xyz@127.0.0.1:1/nowhere',
  },
])('state store on $dialect', ({ dialect, url, raceUrl, upgradeUrl, badUrl }) => {
  let store: StateStore;
  const plan = `plan-${dialect}`;

  beforeAll(async () => {
    store = await openStateStore(url());
  });
  afterAll(async () => {
    await store?.close();
  });

  describe('migrations', () => {
    it('Given a migrated store, when migrate() runs twice more, then it succeeds and the tables are unchanged', async () => {
      const before = await tableNames(dialect, url());
      await store.migrate();
      await store.migrate();
      expect(await tableNames(dialect, url())).toEqual(before);
      expect(before).toEqual([
        'migrate_audit',
        'migrate_checkpoints',
        'migrate_consumer_acks',
        'migrate_consumer_reports',
        'migrate_cutover_journal',
        'migrate_failures',
        'migrate_flags',
        'migrate_plan_flags',
        'migrate_reports',
        'migrate_routing_documents',
        'migrate_schema_version',
        'migrate_verify_entries',
      ]);
    });

    it('Given an empty database, when two stores migrate at the same moment, then both succeed and the schema is usable', async () => {
      const [a, b] = await Promise.all([openStateStore(raceUrl(), { migrate: false }), openStateStore(raceUrl(), { migrate: false })]);
      try {
        await Promise.all([a.migrate(), b.migrate(), a.migrate(), b.migrate()]);
        await a.setFlag('race', 'race.flag', true, 'tester');
        expect((await b.getFlag('race', 'race.flag'))?.enabled).toBe(true);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('Given a store left at schema version 1, when migrate() runs, then version 2 is applied and its column works', async () => {
      const old = await openStateStore(upgradeUrl());
      try {
        await exec(dialect, upgradeUrl(), [
          'alter table migrate_checkpoints drop column mismatches',
          'delete from migrate_schema_version where version > 1',
        ]);
        await old.migrate();
        await old.saveCheckpoint('p', 'e', 'verify/1', 0, { cursor: [5], rowsDone: 5, failures: 0, mismatches: 3, done: false });
        expect((await old.getCheckpoint('p', 'e', 'verify/1', 0))?.mismatches).toBe(3);
      } finally {
        await old.close();
      }
    });
    it('Given a store from before flags were scoped by plan, when migrated, then each flag belongs to every plan that set it and a flag no plan set to none', async () => {
      const old = await openStateStore(upgradeUrl());
      try {
        await old.setFlag('plan-a', 'only-a.backfill', true, 'alice', 'a runs');
        await old.setFlag('plan-b', 'shared.backfill', false, 'bob', 'b paused');
        await old.setFlag('plan-a', 'shared.backfill', true, 'alice', 'a runs');
        // Back to the schema before 0009, with one flag inserted by hand (no audit entry, so no owner).
        await exec(dialect, upgradeUrl(), [
          `insert into migrate_flags (name, enabled, updated_at, updated_by) values ('by-hand.flag', true, '2026-01-01 00:00:00', 'dba')`,
          'drop table migrate_plan_flags',
          `delete from migrate_schema_version where name = '0009_plan_flags'`,
        ]);
        await old.migrate();
        expect((await old.getFlag('plan-a', 'only-a.backfill'))?.enabled).toBe(true);
        expect(await old.getFlag('plan-b', 'only-a.backfill')).toBeUndefined();
        // Both plans read the one shared row before, so both keep the value it held: the last one set.
        expect((await old.getFlag('plan-a', 'shared.backfill'))?.enabled).toBe(true);
        expect((await old.getFlag('plan-b', 'shared.backfill'))?.enabled).toBe(true);
        expect((await old.getFlag('plan-b', 'shared.backfill'))?.updatedBy).toBe('alice');
        expect((await old.listFlags('plan-a')).map((f) => f.name)).toEqual(['only-a.backfill', 'shared.backfill']);
        expect((await old.listFlags('plan-b')).map((f) => f.name)).toEqual(['shared.backfill']);
      } finally {
        await old.close();
      }
    });
  });

  describe('flags', () => {
    it('Given two plans in one store with the same flag name, when one plan sets it, then the other plan\'s flag is untouched', async () => {
      const other = `${plan}-other`;
      await store.setFlag(other, 'scoped.backfill', false, 'bob', 'other plan paused');
      await store.setFlag(plan, 'scoped.backfill', true, 'alice', 'this plan runs');
      expect((await store.getFlag(plan, 'scoped.backfill'))?.enabled).toBe(true);
      expect((await store.getFlag(other, 'scoped.backfill'))).toMatchObject({ enabled: false, updatedBy: 'bob' });
      expect(await store.getFlag(`${plan}-third`, 'scoped.backfill')).toBeUndefined();
      expect((await store.listFlags(other)).map((f) => f.name)).toEqual(['scoped.backfill']);
    });

    it('Given no flag, when getFlag is asked, then it answers undefined', async () => {
      expect(await store.getFlag(plan, 'never.set')).toBeUndefined();
    });

    it('Given a flag set on then off, when getFlag is asked, then it answers the latest value with who set it', async () => {
      await store.setFlag(plan, 'orders.backfill', true, 'alice@host', 'start');
      await store.setFlag(plan, 'orders.backfill', false, 'bob@host', 'service is slow');
      const flag = await store.getFlag(plan, 'orders.backfill');
      expect(flag).toMatchObject({ name: 'orders.backfill', enabled: false, updatedBy: 'bob@host' });
      expect(flag?.updatedAt).toBeInstanceOf(Date);
      expect(Math.abs(flag!.updatedAt.getTime() - Date.now())).toBeLessThan(60_000);
    });

    it('Given several flags, when listFlags is asked, then every flag is listed in name order', async () => {
      await store.setFlag(plan, 'zz.list', true, 'alice');
      await store.setFlag(plan, 'aa.list', false, 'alice');
      const names = (await store.listFlags(plan)).map((f) => f.name);
      expect(names).toEqual([...names].sort());
      expect(names).toEqual(expect.arrayContaining(['aa.list', 'zz.list']));
    });

    it('Given setFlag, when the audit log is read, then it holds who, what, the previous value and why', async () => {
      await store.setFlag(plan, 'customers.backfill', true, 'carol@ops', 'first run', 'customers');
      await store.setFlag(plan, 'customers.backfill', false, 'dave@ops', 'incident 42', 'customers');
      const [latest, earlier] = await store.listAudit({ plan, entity: 'customers' });
      expect(latest).toMatchObject({
        plan,
        entity: 'customers',
        action: 'flag.set',
        actor: 'dave@ops',
        reason: 'incident 42',
        detail: { flag: 'customers.backfill', enabled: false, previous: true },
      });
      expect(latest?.at).toBeInstanceOf(Date);
      expect(earlier).toMatchObject({ actor: 'carol@ops', detail: { enabled: true, previous: null } });
    });
  });

  describe('built-in flag provider', () => {
    it('Given the state-store provider, when a flag is set through it, then it reads back and the change is audited for the entity', async () => {
      const flags = createStateStoreFlagProvider(store, plan);
      expect(await flags.getFlag('payments.backfill')).toBeUndefined();
      await flags.setFlag('payments.backfill', true, { plan, entity: 'payments', actor: 'frank', reason: 'go' });
      expect(await flags.getFlag('payments.backfill')).toBe(true);
      expect((await flags.listFlags()).find((f) => f.name === 'payments.backfill')?.enabled).toBe(true);
      const [entry] = await store.listAudit({ plan, entity: 'payments', limit: 1 });
      expect(entry).toMatchObject({ action: 'flag.set', actor: 'frank', reason: 'go', detail: { flag: 'payments.backfill', enabled: true } });
    });
  });

  describe('routing documents', () => {
    const doc = (entity: string, epoch: number, extra: Partial<RoutingStage> = {}) =>
      buildRoutingDocument({ plan, entity, epoch, reads: { reporting: 'shadow', billing: { new: 10 } }, writes: 'legacy', ...extra });

    it('Given epochs 1 and 2 published, when getRouting is asked, then it answers epoch 2, and epoch 1 on request', async () => {
      await store.publishRouting({ plan, entity: 'r-orders', epoch: 1, document: doc('r-orders', 1), actor: 'alice' });
      await store.publishRouting({ plan, entity: 'r-orders', epoch: 2, document: doc('r-orders', 2, { writes: 'dual' }), actor: 'bob', reason: 'dual writes' });
      const newest = await store.getRouting(plan, 'r-orders');
      expect(newest).toMatchObject({ plan, entity: 'r-orders', epoch: 2, publishedBy: 'bob' });
      expect(newest?.document).toEqual(doc('r-orders', 2, { writes: 'dual' }));
      expect(newest?.publishedAt).toBeInstanceOf(Date);
      expect((await store.getRouting(plan, 'r-orders', 1))?.document).toEqual(doc('r-orders', 1));
      expect(await store.getRouting(plan, 'r-never')).toBeUndefined();
    });

    it('Given an epoch already taken or one skipped, when published, then it is refused with a UserError and nothing is written or audited', async () => {
      await store.publishRouting({ plan, entity: 'r-stale', epoch: 1, document: doc('r-stale', 1), actor: 'alice' });
      const auditBefore = await store.listAudit({ plan, entity: 'r-stale' });
      await expect(store.publishRouting({ plan, entity: 'r-stale', epoch: 1, document: doc('r-stale', 1, { writes: 'new' }), actor: 'mallory' })).rejects.toBeInstanceOf(UserError);
      await expect(store.publishRouting({ plan, entity: 'r-stale', epoch: 3, document: doc('r-stale', 3), actor: 'mallory' })).rejects.toThrow(/at epoch 1, so epoch 3 cannot be published/);
      expect((await store.getRouting(plan, 'r-stale'))?.document).toEqual(doc('r-stale', 1));
      expect(await store.listAudit({ plan, entity: 'r-stale' })).toEqual(auditBefore);
    });

    it('Given two publishers of the same next epoch at once, when both publish, then exactly one succeeds and the other is refused', async () => {
      await store.publishRouting({ plan, entity: 'r-race', epoch: 1, document: doc('r-race', 1), actor: 'alice' });
      const other = await openStateStore(url());
      try {
        const results = await Promise.allSettled([
          store.publishRouting({ plan, entity: 'r-race', epoch: 2, document: doc('r-race', 2, { writes: 'dual' }), actor: 'a' }),
          other.publishRouting({ plan, entity: 'r-race', epoch: 2, document: doc('r-race', 2, { writes: 'new' }), actor: 'b' }),
        ]);
        expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(lost.reason).toBeInstanceOf(UserError);
        const winner = results[0]!.status === 'fulfilled' ? 'a' : 'b';
        expect((await store.getRouting(plan, 'r-race'))?.publishedBy).toBe(winner);
        expect((await store.listAudit({ plan, entity: 'r-race' })).filter((e) => e.action === 'routing.publish')).toHaveLength(2);
      } finally {
        await other.close();
      }
    });

    it('Given a publish, when the audit log is read, then it holds the epochs, who and why', async () => {
      await store.publishRouting({ plan, entity: 'r-audit', epoch: 1, document: doc('r-audit', 1), actor: 'carol', reason: 'shadow starts', detail: { writes: 'legacy' } });
      const [entry] = await store.listAudit({ plan, entity: 'r-audit', limit: 1 });
      expect(entry).toMatchObject({ action: 'routing.publish', actor: 'carol', reason: 'shadow starts', detail: { epoch: 1, previousEpoch: null, writes: 'legacy' } });
    });

    it('Given several entities with several epochs, when listRouting is asked, then each entity appears once at its newest epoch, in entity order', async () => {
      const p = `${plan}-list`;
      for (const [entity, epochs] of [['zeta', 3], ['alpha', 1], ['mid', 2]] as const) {
        for (let e = 1; e <= epochs; e++) await store.publishRouting({ plan: p, entity, epoch: e, document: { ...doc(entity, e), metadata: { tracerPlan: p, tracerEntity: entity, tracerEpoch: e } }, actor: 'x' });
      }
      expect((await store.listRouting(p)).map((r) => [r.entity, r.epoch])).toEqual([['alpha', 1], ['mid', 2], ['zeta', 3]]);
      expect(await store.listRouting(`${plan}-none`)).toEqual([]);
    });

    it('Given the built-in provider, when a document is published through it, then it reads back equal, keys in the built order, audited for the entity', async () => {
      const flags = createStateStoreFlagProvider(store, plan);
      const d = buildRoutingDocument({ plan, entity: 'r-provider', epoch: 1, reads: { reporting: 'shadow', 'support-ui': 'shadow', billing: { new: 10 } }, writes: 'legacy' });
      const published = await flags.publishRouting(d, { plan, entity: 'r-provider', actor: 'dana', reason: 'canary' });
      expect(published).toMatchObject({ epoch: 1, publishedBy: 'dana' });
      expect(JSON.stringify((await flags.getRouting(plan, 'r-provider'))?.document)).toBe(JSON.stringify(d));
      const [entry] = await store.listAudit({ plan, entity: 'r-provider', limit: 1 });
      expect(entry).toMatchObject({ action: 'routing.publish', reason: 'canary', detail: { epoch: 1, reads: { billing: 'new 10%', reporting: 'shadow', 'support-ui': 'shadow' }, writes: 'legacy' } });
    });

    it('Given a document that is not a routing document, when published through the provider, then it is refused and nothing is stored', async () => {
      const flags = createStateStoreFlagProvider(store, plan);
      const bad = buildRoutingDocument({ plan, entity: 'r-bad', epoch: 1, reads: {}, writes: 'legacy' });
      delete (bad.flags as Record<string, unknown>)['r-bad.writes'];
      await expect(flags.publishRouting(bad, { plan, actor: 'x' })).rejects.toThrow(/flags\.r-bad\.writes is missing/);
      const otherPlan = buildRoutingDocument({ plan: 'another-plan', entity: 'r-bad', epoch: 1, reads: {}, writes: 'legacy' });
      await expect(flags.publishRouting(otherPlan, { plan, actor: 'x' })).rejects.toThrow(/names plan "another-plan"/);
      expect(await store.getRouting(plan, 'r-bad')).toBeUndefined();
    });
  });

  describe('audit', () => {
    it('Given entries for two entities, when listAudit filters by entity with a limit, then only the newest of that entity come back', async () => {
      const p = `${plan}-audit`;
      for (let i = 0; i < 3; i++) await store.appendAudit({ plan: p, entity: 'orders', action: `step.${i}`, actor: 'eve' });
      await store.appendAudit({ plan: p, entity: 'customers', action: 'other', actor: 'eve', detail: { n: 1 } });
      const orders = await store.listAudit({ plan: p, entity: 'orders', limit: 2 });
      expect(orders.map((e) => e.action)).toEqual(['step.2', 'step.1']);
      expect((await store.listAudit({ plan: p })).length).toBe(4);
    });
  });

  describe('checkpoints', () => {
    it('Given no checkpoint, when getCheckpoint is asked, then it answers undefined', async () => {
      expect(await store.getCheckpoint(plan, 'orders', 'backfill', 0)).toBeUndefined();
    });

    it('Given a checkpoint saved twice, when it is read, then the second save wins', async () => {
      await store.saveCheckpoint(plan, 'orders', 'backfill', 1, { cursor: [10, 'a'], rowsDone: 500, failures: 0, done: false });
      await store.saveCheckpoint(plan, 'orders', 'backfill', 1, { cursor: [20, 'b'], rowsDone: 1000, failures: 2, done: true });
      expect(await store.getCheckpoint(plan, 'orders', 'backfill', 1)).toEqual({ cursor: [20, 'b'], rowsDone: 1000, failures: 2, done: true });
    });

    it('Given a checkpoint without a cursor, when it is read, then it has no cursor', async () => {
      await store.saveCheckpoint(plan, 'orders', 'backfill', 2, { rowsDone: 0, failures: 0, done: false });
      expect(await store.getCheckpoint(plan, 'orders', 'backfill', 2)).toEqual({ rowsDone: 0, failures: 0, done: false });
    });

    it('Given a verification checkpoint with a mismatch tally, when it is read, then the tally comes back', async () => {
      await store.saveCheckpoint(plan, 'orders', 'verify/r9', 0, { cursor: ['x'], rowsDone: 10, failures: 0, mismatches: 4, done: false });
      expect(await store.getCheckpoint(plan, 'orders', 'verify/r9', 0)).toEqual({ cursor: ['x'], rowsDone: 10, failures: 0, mismatches: 4, done: false });
    });

    it('Given saves that read flags, some at the same time, when they resolve, then each checkpoint is stored and each answer is its own flag as set, off when never set', async () => {
      const other = `${plan}-other`;
      await store.setFlag(plan, 'cp.on', true, 'alice');
      await store.setFlag(plan, 'cp.off', false, 'alice');
      await store.setFlag(other, 'cp.off', true, 'bob');
      // Started together, so the later ones go in one grouped round (one statement on PostgreSQL).
      const answers = await Promise.all([
        store.saveCheckpointReadFlag(plan, 'flagged', 'backfill', 0, { cursor: [1], rowsDone: 1, failures: 0, done: false }, 'cp.on'),
        store.saveCheckpointReadFlag(plan, 'flagged', 'backfill', 1, { cursor: [2], rowsDone: 2, failures: 0, done: false }, 'cp.off'),
        store.saveCheckpointReadFlag(other, 'flagged', 'backfill', 2, { cursor: [3], rowsDone: 3, failures: 1, done: false }, 'cp.off'),
        store.saveCheckpointReadFlag(plan, 'flagged', 'backfill', 3, { cursor: [4], rowsDone: 4, failures: 0, done: true }, 'cp.never-set'),
        store.saveCheckpoint(plan, 'flagged', 'backfill', 4, { cursor: [5], rowsDone: 5, failures: 0, done: false }),
      ]);
      expect(answers).toEqual([true, false, true, false, undefined]);
      expect(await store.getCheckpoint(plan, 'flagged', 'backfill', 1)).toEqual({ cursor: [2], rowsDone: 2, failures: 0, done: false });
      expect(await store.getCheckpoint(other, 'flagged', 'backfill', 2)).toEqual({ cursor: [3], rowsDone: 3, failures: 1, done: false });
      expect(await store.getCheckpoint(plan, 'flagged', 'backfill', 3)).toEqual({ cursor: [4], rowsDone: 4, failures: 0, done: true });
      expect(await store.getCheckpoint(plan, 'flagged', 'backfill', 4)).toMatchObject({ cursor: [5] });
      // A flag changed between two saves is read anew by the second.
      await store.setFlag(plan, 'cp.on', false, 'bob', 'stop');
      expect(await store.saveCheckpointReadFlag(plan, 'flagged', 'backfill', 0, { cursor: [6], rowsDone: 6, failures: 0, done: false }, 'cp.on')).toBe(false);
      expect(await store.getCheckpoint(plan, 'flagged', 'backfill', 0)).toMatchObject({ cursor: [6], rowsDone: 6 });
    });

    it('Given checkpoints of two runs, when one run is cleared, then only that run loses its checkpoints', async () => {
      await store.saveCheckpoint(plan, 'items', 'backfill', 0, { cursor: [1], rowsDone: 1, failures: 0, done: false });
      await store.saveCheckpoint(plan, 'items', 'backfill', 1, { cursor: [2], rowsDone: 1, failures: 0, done: false });
      await store.saveCheckpoint(plan, 'items', 'verify/r1', 0, { cursor: [3], rowsDone: 1, failures: 0, done: false });
      await store.clearCheckpoints(plan, 'items', 'backfill');
      expect(await store.getCheckpoint(plan, 'items', 'backfill', 0)).toBeUndefined();
      expect(await store.getCheckpoint(plan, 'items', 'backfill', 1)).toBeUndefined();
      expect(await store.getCheckpoint(plan, 'items', 'verify/r1', 0)).toMatchObject({ cursor: [3] });
    });
  });

  describe('failures', () => {
    const entity = 'orders';

    it('Given a failure recorded twice, when it is listed, then attempts is 2, the last error wins and first seen is kept', async () => {
      const key = ['7f1c0e5a-0000-4000-8000-000000000001', 42];
      await store.recordFailures([{ plan, entity, key, status: 422, error: 'bad total' }]);
      const [first] = await store.listFailures(plan, entity);
      await sleep(20);
      await store.recordFailures([{ plan, entity, key, status: 409, error: 'conflict' }]);
      const [again] = await store.listFailures(plan, entity);
      expect(again).toMatchObject({ key, status: 409, error: 'conflict', attempts: 2 });
      expect(again!.firstSeen.getTime()).toBe(first!.firstSeen.getTime());
      expect(again!.lastSeen.getTime()).toBeGreaterThan(first!.lastSeen.getTime());
      await store.removeFailures(plan, entity, [key]);
    });

    it('Given a batch of failures, when counted, listed with a limit and some removed, then the log shows exactly the rest', async () => {
      const e = 'batch';
      const keys = Array.from({ length: 1200 }, (_, i) => [i, `k${i}`] as const);
      await store.recordFailures(keys.map((key) => ({ plan, entity: e, key, status: 422, error: `row ${key[0]} rejected` })));
      expect(await store.countFailures(plan, e)).toBe(1200);
      expect((await store.listFailures(plan, e, 10)).length).toBe(10);
      await store.removeFailures(plan, e, keys.slice(0, 1100));
      expect(await store.countFailures(plan, e)).toBe(100);
      const left = await store.listFailures(plan, e);
      expect(left.map((f) => f.key[0]).sort((a, b) => Number(a) - Number(b))).toEqual(keys.slice(1100).map((k) => k[0]));
    });

    it('Given a key repeated in one batch, when recorded, then it counts as one attempt', async () => {
      await store.recordFailures([
        { plan, entity: 'dup', key: [1], status: 500, error: 'a' },
        { plan, entity: 'dup', key: [1], status: 422, error: 'b' },
      ]);
      expect(await store.listFailures(plan, 'dup')).toMatchObject([{ key: [1], attempts: 1, status: 422, error: 'b' }]);
    });

    it('Given the keys [1] and ["1"], when recorded, then they are two failures', async () => {
      await store.recordFailures([
        { plan, entity: 'types', key: [1], status: 422, error: 'n' },
        { plan, entity: 'types', key: ['1'], status: 422, error: 's' },
      ]);
      expect(await store.countFailures(plan, 'types')).toBe(2);
    });

    it('Given old and recent failures, when purged before a moment between them, then only the old ones go', async () => {
      await store.recordFailures([{ plan, entity: 'purge', key: ['old'], status: 422, error: 'x' }]);
      await sleep(50);
      const cut = new Date();
      await sleep(50);
      await store.recordFailures([{ plan, entity: 'purge', key: ['new'], status: 422, error: 'x' }]);
      expect(await store.purgeFailures(plan, 'purge', cut)).toBe(1);
      expect((await store.listFailures(plan, 'purge')).map((f) => f.key)).toEqual([['new']]);
    });

    it('Given an error excerpt containing a registered secret, when recorded, then the stored error is redacted', async () => {
      secrets.add('tok-SUPERSECRET-123');
      await store.recordFailures([{ plan, entity: 'secret', key: [1], status: 401, error: 'Bearer tok-SUPERSECRET-123 refused' }]);
      const [f] = await store.listFailures(plan, 'secret');
      expect(f?.error).toBe('Bearer *** refused');
    });

    it('Given an error excerpt of 5 KB of multi-byte text, when recorded, then at most 1 KB is stored', async () => {
      await store.recordFailures([{ plan, entity: 'long', key: [1], status: 422, error: 'é'.repeat(2500) }]);
      const [f] = await store.listFailures(plan, 'long');
      expect(Buffer.byteLength(f!.error, 'utf8')).toBeLessThanOrEqual(1024);
      expect(f!.error.startsWith('éééé')).toBe(true);
    });
  });

  describe('reports', () => {
    it('Given a saved report, when read by id, then the same report comes back with its metadata', async () => {
      const report = { mismatches: 0, samples: [{ key: [1], diff: { a: [1, 2] } }], ok: true };
      const id = await store.saveReport(plan, 'orders', report);
      const got = await store.getReport<typeof report>(id);
      expect(got).toMatchObject({ id, plan, entity: 'orders', report });
      expect(got?.createdAt).toBeInstanceOf(Date);
    });

    it('Given several reports saved in quick succession, when the latest is asked, then it is the last saved', async () => {
      let last = '';
      for (let i = 0; i < 5; i++) last = await store.saveReport(plan, 'latest', { i });
      expect((await store.latestReport<{ i: number }>(plan, 'latest'))?.report).toEqual({ i: 4 });
      expect((await store.latestReport(plan, 'latest'))?.id).toBe(last);
    });

    it('Given no report, when read by an unknown id or for an entity without reports, then it answers undefined', async () => {
      expect(await store.getReport('r-unknown')).toBeUndefined();
      expect(await store.latestReport(plan, 'none')).toBeUndefined();
    });
  });

  describe('consumer reports', () => {
    const ack = { epoch: 7, inFlightWrites: 2, failureLogDepth: 1, routingStale: false };
    it('Given a consumer report, when the same seq is sent again, then it is stored once and the acknowledgement follows the latest report', async () => {
      const epochs = [{ epoch: 7, shadow: { match: 3 } }];
      expect(await store.saveConsumerReport(plan, 'orders', { consumer: 'billing', instance: 'h:1', seq: 0, ack, epochs })).toBe(true);
      expect(await store.saveConsumerReport(plan, 'orders', { consumer: 'billing', instance: 'h:1', seq: 0, ack, epochs })).toBe(false);
      expect(await store.saveConsumerReport(plan, 'orders', { consumer: 'billing', instance: 'h:1', seq: 1, ack: { ...ack, epoch: 8, inFlightWrites: 0, routingStale: true }, epochs: [] })).toBe(true);
      const reports = await store.listConsumerReports(plan, 'orders');
      expect(reports.map((r) => [r.consumer, r.instance, r.seq, r.epochs])).toEqual([
        ['billing', 'h:1', 0, epochs],
        ['billing', 'h:1', 1, []],
      ]);
      const acks = await store.listConsumerAcks(plan, 'orders');
      expect(acks).toHaveLength(1);
      expect(acks[0]).toMatchObject({ consumer: 'billing', instance: 'h:1', epoch: 8, inFlightWrites: 0, failureLogDepth: 1, routingStale: true, lastSeq: 1 });
      expect(acks[0]!.updatedAt).toBeInstanceOf(Date);
    });

    it('Given an instance that has not read a routing document, when it reports, then its acknowledged epoch is null', async () => {
      await store.saveConsumerReport(plan, 'customers', { consumer: 'crm', instance: 'h:2', seq: 0, ack: { ...ack, epoch: null }, epochs: [] });
      expect((await store.listConsumerAcks(plan, 'customers'))[0]?.epoch).toBeNull();
    });
  });

  describe('connection', () => {
    it('Given an unreachable URL with a password, when opened, then an EnvironmentError comes without the password', async () => {
      const err = await openStateStore(badUrl).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EnvironmentError);
      const e = err as EnvironmentError;
      expect(`${e.message}\n${e.hint}`).not.toContain('s3cret-pw-xyz');
      expect(e.message).toContain('127.0.0.1:1');
      expect(e.hint).toContain('Check that the database is running');
    });
  });
});
