/**
 * The state store on PostgreSQL. DDL is transactional here, so each migration and its version row
 * commit together, serialised across processes by a transaction-scoped advisory lock.
 */
import pg from 'pg';
import type { KeyTuple } from '../sources/types.js';
import { secrets } from '../secrets.js';
import type { AuditEntry, Checkpoint, FailureRecord, FlagValue, StateStore, StoredReport, VerifyEntry } from './types.js';
import { chunks, errorExcerpt, isConnectionError, keyText, lastByKey, newReportId, unreachable } from './common.js';

// An arbitrary constant ("migrate" in ASCII) so every migrate process contends for the same lock.
const MIGRATION_LOCK = 0x6d696772617465n;

/** Forward-only; never edit a shipped entry, append a new one. */
const MIGRATIONS: { version: number; description: string; sql: string[] }[] = [
  {
    version: 1,
    description: 'flags, audit, checkpoints, failures, reports',
    sql: [
      `create table migrate_flags (
        name text primary key,
        enabled boolean not null,
        updated_at timestamptz not null default now(),
        updated_by text not null
      )`,
      `create table migrate_audit (
        id bigserial primary key,
        at timestamptz not null default now(),
        plan text not null,
        entity text,
        action text not null,
        detail jsonb,
        actor text not null,
        reason text
      )`,
      `create index migrate_audit_plan_entity on migrate_audit (plan, entity, id)`,
      `create table migrate_checkpoints (
        plan text not null,
        entity text not null,
        run_key text not null,
        partition_no integer not null,
        cursor_json jsonb,
        rows_done bigint not null default 0,
        failures bigint not null default 0,
        done boolean not null default false,
        updated_at timestamptz not null default now(),
        primary key (plan, entity, run_key, partition_no)
      )`,
      `create table migrate_failures (
        plan text not null,
        entity text not null,
        key_text text not null,
        status integer not null,
        error text not null,
        attempts integer not null default 1,
        first_seen timestamptz not null default now(),
        last_seen timestamptz not null default now(),
        primary key (plan, entity, key_text)
      )`,
      `create index migrate_failures_last_seen on migrate_failures (plan, entity, last_seen)`,
      `create table migrate_reports (
        id text primary key,
        plan text not null,
        entity text not null,
        created_at timestamptz not null default now(),
        report jsonb not null
      )`,
      `create index migrate_reports_latest on migrate_reports (plan, entity, created_at, id)`,
    ],
  },
  {
    version: 2,
    description: 'checkpoints keep the mismatch tally of verification sweeps',
    sql: [`alter table migrate_checkpoints add column if not exists mismatches bigint`],
  },
  {
    version: 3,
    description: 'verification re-check queue: rows that differed or changed during a sweep, per run',
    sql: [
      `create table if not exists migrate_verify_entries (
        plan text not null,
        entity text not null,
        run_key text not null,
        key_text text not null,
        class text not null,
        state text not null,
        fields jsonb not null default '[]',
        updated_at timestamptz not null default now(),
        primary key (plan, entity, run_key, key_text)
      )`,
      `create index if not exists migrate_verify_entries_state on migrate_verify_entries (plan, entity, run_key, state, key_text)`,
    ],
  },
];

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** Opens a pool on a PostgreSQL URL; nothing is queried until the first call. */
export function createPostgresStateStore(url: string, poolSize = 4): StateStore {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  // An idle client whose server went away emits here; without a listener that crashes the process.
  pool.on('error', () => undefined);

  async function q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], on: Queryable = pool): Promise<pg.QueryResult<R>> {
    try {
      return await on.query<R>(sql, params);
    } catch (e) {
      throw isConnectionError(e) ? unreachable(url, e) : e;
    }
  }

  async function tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw unreachable(url, e);
    }
    try {
      await client.query('begin');
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw isConnectionError(e) ? unreachable(url, e) : e;
    } finally {
      client.release();
    }
  }

  const toFlag = (r: { name: string; enabled: boolean; updated_at: Date; updated_by: string }): FlagValue => ({
    name: r.name,
    enabled: r.enabled,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
  });

  const toFailure = (r: FailureRow): FailureRecord => ({
    plan: r.plan,
    entity: r.entity,
    key: JSON.parse(r.key_text) as KeyTuple,
    status: r.status,
    error: r.error,
    attempts: r.attempts,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
  });

  const toReport = <T>(r: ReportRow): StoredReport<T> => ({
    id: r.id,
    plan: r.plan,
    entity: r.entity,
    createdAt: r.created_at,
    report: r.report as T,
  });

  async function insertAudit(entry: AuditEntry, on: Queryable): Promise<void> {
    await q(
      `insert into migrate_audit (plan, entity, action, detail, actor, reason) values ($1, $2, $3, $4::jsonb, $5, $6)`,
      [
        entry.plan,
        entry.entity ?? null,
        entry.action,
        entry.detail === undefined ? null : JSON.stringify(entry.detail),
        entry.actor,
        entry.reason === undefined ? null : secrets.redact(entry.reason),
      ],
      on,
    );
  }

  return {
    async migrate() {
      await tx(async (c) => {
        await c.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
        await c.query(`create table if not exists migrate_schema_version (
          version integer primary key,
          description text not null,
          applied_at timestamptz not null default now()
        )`);
        const { rows } = await c.query<{ v: number | null }>('select max(version) as v from migrate_schema_version');
        const current = rows[0]?.v ?? 0;
        for (const m of MIGRATIONS) {
          if (m.version <= current) continue;
          for (const stmt of m.sql) await c.query(stmt);
          await c.query('insert into migrate_schema_version (version, description) values ($1, $2)', [m.version, m.description]);
        }
      });
    },

    async getFlag(name) {
      const { rows } = await q<FlagRow>('select name, enabled, updated_at, updated_by from migrate_flags where name = $1', [name]);
      return rows[0] ? toFlag(rows[0]) : undefined;
    },

    async setFlag(plan, name, enabled, actor, reason, entity) {
      await tx(async (c) => {
        const prev = await q<{ enabled: boolean }>('select enabled from migrate_flags where name = $1 for update', [name], c);
        await q(
          `insert into migrate_flags (name, enabled, updated_at, updated_by) values ($1, $2, now(), $3)
           on conflict (name) do update set enabled = excluded.enabled, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
          [name, enabled, actor],
          c,
        );
        await insertAudit(
          { plan, entity, action: 'flag.set', detail: { flag: name, enabled, previous: prev.rows[0]?.enabled ?? null }, actor, reason },
          c,
        );
      });
    },

    async listFlags() {
      const { rows } = await q<FlagRow>('select name, enabled, updated_at, updated_by from migrate_flags order by name');
      return rows.map(toFlag);
    },

    async appendAudit(entry) {
      await insertAudit(entry, pool);
    },

    async listAudit({ plan, entity, limit = 100 }) {
      const { rows } = await q<AuditRow>(
        `select id, at, plan, entity, action, detail, actor, reason from migrate_audit
         where plan = $1 and ($2::text is null or entity = $2) order by id desc limit $3`,
        [plan, entity ?? null, limit],
      );
      return rows.map((r) => ({
        id: Number(r.id),
        at: r.at,
        plan: r.plan,
        ...(r.entity === null ? {} : { entity: r.entity }),
        action: r.action,
        ...(r.detail === null ? {} : { detail: r.detail }),
        actor: r.actor,
        ...(r.reason === null ? {} : { reason: r.reason }),
      }));
    },

    async getCheckpoint(plan, entity, runKey, partition) {
      const { rows } = await q<CheckpointRow>(
        `select cursor_json, rows_done, failures, mismatches, done from migrate_checkpoints
         where plan = $1 and entity = $2 and run_key = $3 and partition_no = $4`,
        [plan, entity, runKey, partition],
      );
      const r = rows[0];
      if (!r) return undefined;
      return {
        ...(r.cursor_json === null ? {} : { cursor: r.cursor_json }),
        rowsDone: Number(r.rows_done),
        failures: Number(r.failures),
        ...(r.mismatches === null ? {} : { mismatches: Number(r.mismatches) }),
        done: r.done,
      } satisfies Checkpoint;
    },

    async saveCheckpoint(plan, entity, runKey, partition, cp) {
      // One statement: this runs after every batch of every partition.
      await q(
        `insert into migrate_checkpoints (plan, entity, run_key, partition_no, cursor_json, rows_done, failures, mismatches, done, updated_at)
         values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, now())
         on conflict (plan, entity, run_key, partition_no) do update set cursor_json = excluded.cursor_json,
           rows_done = excluded.rows_done, failures = excluded.failures, mismatches = excluded.mismatches,
           done = excluded.done, updated_at = excluded.updated_at`,
        [
          plan,
          entity,
          runKey,
          partition,
          cp.cursor === undefined ? null : JSON.stringify(cp.cursor),
          cp.rowsDone,
          cp.failures,
          cp.mismatches ?? null,
          cp.done,
        ],
      );
    },

    async clearCheckpoints(plan, entity, runKey) {
      await q('delete from migrate_checkpoints where plan = $1 and entity = $2 and run_key = $3', [plan, entity, runKey]);
    },

    async recordFailures(failures) {
      const unique = lastByKey(failures, (f) => JSON.stringify([f.plan, f.entity, keyText(f.key)]));
      for (const batch of chunks(unique)) {
        await q(
          `insert into migrate_failures (plan, entity, key_text, status, error)
           select * from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[])
           on conflict (plan, entity, key_text) do update set status = excluded.status, error = excluded.error,
             attempts = migrate_failures.attempts + 1, last_seen = now()`,
          [
            batch.map((f) => f.plan),
            batch.map((f) => f.entity),
            batch.map((f) => keyText(f.key)),
            batch.map((f) => f.status),
            batch.map((f) => errorExcerpt(f.error)),
          ],
        );
      }
    },

    async listFailures(plan, entity, limit = 1000) {
      const { rows } = await q<FailureRow>(
        `select plan, entity, key_text, status, error, attempts, first_seen, last_seen from migrate_failures
         where plan = $1 and entity = $2 order by first_seen, key_text limit $3`,
        [plan, entity, limit],
      );
      return rows.map(toFailure);
    },

    async countFailures(plan, entity) {
      const { rows } = await q<{ n: string }>('select count(*) as n from migrate_failures where plan = $1 and entity = $2', [plan, entity]);
      return Number(rows[0]?.n ?? 0);
    },

    async removeFailures(plan, entity, keys) {
      for (const batch of chunks(keys)) {
        await q('delete from migrate_failures where plan = $1 and entity = $2 and key_text = any($3::text[])', [
          plan,
          entity,
          batch.map(keyText),
        ]);
      }
    },

    async purgeFailures(plan, entity, olderThan) {
      const res = await q('delete from migrate_failures where plan = $1 and entity = $2 and last_seen < $3', [plan, entity, olderThan]);
      return res.rowCount ?? 0;
    },

    async saveReport(plan, entity, report) {
      const id = newReportId();
      await q('insert into migrate_reports (id, plan, entity, report) values ($1, $2, $3, $4::jsonb)', [
        id,
        plan,
        entity,
        JSON.stringify(report),
      ]);
      return id;
    },

    async getReport<T>(id: string) {
      const { rows } = await q<ReportRow>('select id, plan, entity, created_at, report from migrate_reports where id = $1', [id]);
      return rows[0] ? toReport<T>(rows[0]) : undefined;
    },

    async latestReport<T>(plan: string, entity: string) {
      const { rows } = await q<ReportRow>(
        `select id, plan, entity, created_at, report from migrate_reports where plan = $1 and entity = $2
         order by created_at desc, id desc limit 1`,
        [plan, entity],
      );
      return rows[0] ? toReport<T>(rows[0]) : undefined;
    },

    async saveVerifyEntries(plan, entity, runKey, entries) {
      const unique = lastByKey(entries, (e) => keyText(e.key));
      for (const batch of chunks(unique)) {
        await q(
          `insert into migrate_verify_entries (plan, entity, run_key, key_text, class, state, fields)
           select $1, $2, $3, r.k, r.c, r.s, r.f::jsonb from unnest($4::text[], $5::text[], $6::text[], $7::text[]) as r(k, c, s, f)
           on conflict (plan, entity, run_key, key_text) do update set class = excluded.class, state = excluded.state,
             fields = excluded.fields, updated_at = now()`,
          [plan, entity, runKey, batch.map((e) => keyText(e.key)), batch.map((e) => e.class), batch.map((e) => e.state), batch.map((e) => JSON.stringify(e.fields))],
        );
      }
    },

    async listVerifyEntries(plan, entity, runKey, filter) {
      const limit = filter.limit ?? 1000;
      const { rows } = await q<{ key_text: string; class: VerifyEntry['class']; state: VerifyEntry['state']; fields: string[] }>(
        `select key_text, class, state, fields from migrate_verify_entries
         where plan = $1 and entity = $2 and run_key = $3 and ($4::text is null or state = $4) and ($5::text is null or class = $5)
           and ($6::text is null or key_text > $6)
         order by key_text limit $7`,
        [plan, entity, runKey, filter.state ?? null, filter.class ?? null, filter.after ?? null, limit],
      );
      const entries = rows.map((r) => ({ key: JSON.parse(r.key_text) as KeyTuple, class: r.class, state: r.state, fields: r.fields }));
      return rows.length === limit ? { entries, next: rows[rows.length - 1]!.key_text } : { entries };
    },

    async countVerifyEntries(plan, entity, runKey) {
      const { rows } = await q<{ class: VerifyEntry['class']; state: VerifyEntry['state']; n: string }>(
        `select class, state, count(*) as n from migrate_verify_entries where plan = $1 and entity = $2 and run_key = $3 group by class, state`,
        [plan, entity, runKey],
      );
      return rows.map((r) => ({ class: r.class, state: r.state, n: Number(r.n) }));
    },

    async clearVerifyEntries(plan, entity, runKey) {
      await q('delete from migrate_verify_entries where plan = $1 and entity = $2 and run_key = $3', [plan, entity, runKey]);
    },

    async close() {
      await pool.end();
    },
  };
}

interface FlagRow {
  name: string;
  enabled: boolean;
  updated_at: Date;
  updated_by: string;
}
interface AuditRow {
  id: string;
  at: Date;
  plan: string;
  entity: string | null;
  action: string;
  detail: Record<string, unknown> | null;
  actor: string;
  reason: string | null;
}
interface CheckpointRow {
  cursor_json: KeyTuple | null;
  rows_done: string;
  failures: string;
  mismatches: string | null;
  done: boolean;
}
interface FailureRow {
  plan: string;
  entity: string;
  key_text: string;
  status: number;
  error: string;
  attempts: number;
  first_seen: Date;
  last_seen: Date;
}
interface ReportRow {
  id: string;
  plan: string;
  entity: string;
  created_at: Date;
  report: unknown;
}
