/**
 * The flow of the fidelity corpus tests, shared by both engines: a `corpus` entity mapping every
 * column by name (plus the engine's own extras), a `refused` entity whose rows have no faithful JSON
 * form, the bytes the reference service stored per key, and tampering with them in place.
 */
import pg from 'pg';
import { startLiveStack, type LiveStack } from './harness.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { runRepair, startVerify, verifyOutcome } from '../../src/ops/verifyRuns.js';

export interface CorpusOptions {
  engine: 'postgres' | 'mysql';
  seed(url: string): Promise<void>;
  /** `map:` of the corpus entity, indented by six spaces. */
  corpusMap: string;
  /** `map:` of the refused entity, indented by six spaces. */
  refusedMap: string;
}

const entity = (name: string, map: string) => `  ${name}:
    source: { db: legacy, table: ${name}, key: [id] }
    target:
      service: fulfillment
      write: { method: POST, path: "/v1/${name}:batchUpsert", batch: 50 }
      read: { method: POST, path: "/v1/${name}:batchGet", batch: 50 }
    map:
${map}    phases:
      - backfill: { batchSize: 50, partitions: 1, flag: ${name}.backfill }
      - verify: { recheckAfter: 1s, recheckRounds: 1, maxMismatchRate: 0 }
`;

export function startCorpusStack(opts: CorpusOptions): Promise<LiveStack> {
  return startLiveStack({
    label: 'fid',
    engine: opts.engine,
    seed: opts.seed,
    plan: { entitiesYaml: entity('corpus', opts.corpusMap) + entity('refused', opts.refusedMap) },
  });
}

/** Sets the process time zone (the in-process worker's too) and proves it took effect. */
export function setWorkerTimeZone(tz: string, expectedJanuaryOffsetMinutes: number): void {
  process.env.TZ = tz;
  const got = new Date(2024, 0, 15, 12).getTimezoneOffset();
  if (got !== expectedJanuaryOffsetMinutes) throw new Error(`TZ=${tz} did not take effect: offset ${got}`);
}

/** What the service stored for an entity, as the exact text of each item, by canonical key. */
export async function storedText(stack: LiveStack, collection: string): Promise<Map<string, string>> {
  const c = new pg.Client({ connectionString: stack.dbs.pgUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ key: string; text: string }>('select key, data::text as text from fulfillment.items where collection = $1 order by key', [collection]);
    return new Map(rows.map((r) => [r.key, r.text]));
  } finally {
    await c.end();
  }
}

/** Replaces the stored text of one item, as a service bug or a hand edit would. */
export async function setStoredText(stack: LiveStack, collection: string, key: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: stack.dbs.pgUrl });
  await c.connect();
  try {
    const r = await c.query('update fulfillment.items set data = $3::json where collection = $1 and key = $2', [collection, key, text]);
    if (r.rowCount !== 1) throw new Error(`no stored item ${collection}/${key}`);
  } finally {
    await c.end();
  }
}

export async function emptyCollection(stack: LiveStack, collection: string): Promise<void> {
  const c = new pg.Client({ connectionString: stack.dbs.pgUrl });
  await c.connect();
  try {
    await c.query('delete from fulfillment.items where collection = $1', [collection]);
  } finally {
    await c.end();
  }
}

/** Runs (or re-runs) the backfill of an entity to completion. */
export async function backfill(stack: LiveStack, name: string): Promise<void> {
  const { handle } = await startBackfill(stack.session, name, 'fidelity-test', true);
  await handle.result();
}

export async function verify(stack: LiveStack, name: string) {
  const { handle, run } = await startVerify(stack.session, name, 'fidelity-test');
  const { report } = await verifyOutcome(stack.session, handle);
  return { run, report };
}

export async function repair(stack: LiveStack, name: string, verified: Awaited<ReturnType<typeof verify>>) {
  return runRepair(stack.session, name, 'fidelity-test', { run: verified.run, reportId: verified.report.id, report: verified.report.report });
}

export async function failureLog(stack: LiveStack, name: string) {
  const store = await stack.session.resources.stateStore();
  return store.listFailures(stack.session.loaded.plan.name, name, 100);
}
