/**
 * A worker may come up before its databases (a restart of everything at once): the warm-up, or the
 * first activity, then fails to open a pool. That failure must not be kept: once the database is
 * there, the next use opens it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { loadPlanFile } from '../../src/plan/load.js';
import { openPlanResources, type PlanResources } from '../../src/resources/planResources.js';
import { PG_ADMIN_URL } from '../support/env.js';
import { withDatabase } from '../support/databases.js';

const name = `t_reopen_${randomBytes(4).toString('hex')}`;
const url = withDatabase(PG_ADMIN_URL, name);
let res: PlanResources | undefined;

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

afterAll(async () => {
  await res?.close();
  await admin(`drop database if exists "${name}" with (force)`);
});

describe('plan resources opened before their database exists', () => {
  it('Given a source and a state store whose database does not exist yet, when they fail to open and the database is then created, then the next use opens them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracer-reopen-'));
    const file = join(dir, 'plan.yaml');
    writeFileSync(
      file,
      `version: 1
name: reopen
state: { url: "${url}" }
sources:
  legacy: { url: "${url}" }
targets:
  svc: { baseUrl: "http://127.0.0.1:1" }
entities:
  orders:
    source: { db: legacy, table: orders, key: [id] }
    target:
      service: svc
      write: { method: POST, path: "/v1/orders:batchUpsert", batch: 10 }
      read: { method: POST, path: "/v1/orders:batchGet" }
    map: { id: id }
    phases:
      - backfill: { batchSize: 10, partitions: 1, flag: orders.backfill }
`,
    );
    res = await openPlanResources(await loadPlanFile(file, {}));
    await expect(res.source('legacy')).rejects.toThrow();
    await expect(res.stateStore()).rejects.toThrow();

    await admin(`create database "${name}"`);

    const source = await res.source('legacy');
    expect((await source.introspect({ table: 'orders' })).exists).toBe(false);
    const store = await res.stateStore();
    await store.setFlag('reopen', 'orders.backfill', true, 'test');
    expect((await store.getFlag('reopen', 'orders.backfill'))?.enabled).toBe(true);
  });
});
