/**
 * The state store on MySQL / MariaDB. DDL commits implicitly here, so migrations cannot be atomic:
 * every statement is written to be re-runnable (IF NOT EXISTS) and the version row is written after
 * the migration's last statement, all under a named lock so processes never interleave.
 *
 * Index key lengths: names (plan, entity, flag, run key) are utf8mb4_bin VARCHARs short enough that
 * every composite index stays under InnoDB's 3072-byte limit; failure keys are unbounded, so the
 * primary key holds their SHA-256 (`key_hash`) and the text sits beside it unindexed.
 * `_bin` collations keep names case-sensitive, as they are on PostgreSQL.
 */
import mysql from 'mysql2/promise';
import type { KeyTuple } from '../sources/types.js';
import { secrets } from '../secrets.js';
import type { AuditEntry, Checkpoint, FailureRecord, FlagValue, StateStore, StoredReport, VerifyEntry } from './types.js';
import { chunks, errorExcerpt, isConnectionError, keyHash, keyText, lastByKey, newReportId, unreachable } from './common.js';

const NAME = 'varchar(100) character set utf8mb4 collate utf8mb4_bin';
const TABLE_OPTIONS = 'engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin';
/** Seconds a starting process waits for another one's migration. */
const LOCK_TIMEOUT_S = 60;

/** Forward-only; never edit a shipped entry, append a new one. */
const MIGRATIONS: { version: number; description: string; sql: Step[] }[] = [
  {
    version: 1,
    description: 'flags, audit, checkpoints, failures, reports',
    sql: [
      `create table if not exists migrate_flags (
        name varchar(191) not null primary key,
        enabled boolean not null,
        updated_at datetime(6) not null,
        updated_by varchar(255) not null
      ) ${TABLE_OPTIONS}`,
      `create table if not exists migrate_audit (
        id bigint not null auto_increment primary key,
        at datetime(6) not null,
        plan ${NAME} not null,
        entity ${NAME} null,
        action varchar(100) not null,
        detail longtext null,
        actor varchar(255) not null,
        reason text null,
        index migrate_audit_plan_entity (plan, entity, id)
      ) ${TABLE_OPTIONS}`,
      `create table if not exists migrate_checkpoints (
        plan ${NAME} not null,
        entity ${NAME} not null,
        run_key varchar(191) not null,
        partition_no int not null,
        cursor_json text null,
        rows_done bigint not null default 0,
        failures bigint not null default 0,
        done boolean not null default false,
        updated_at datetime(6) not null,
        primary key (plan, entity, run_key, partition_no)
      ) ${TABLE_OPTIONS}`,
      `create table if not exists migrate_failures (
        plan ${NAME} not null,
        entity ${NAME} not null,
        key_hash binary(32) not null,
        key_text text not null,
        status int not null,
        error text not null,
        attempts int not null default 1,
        first_seen datetime(6) not null,
        last_seen datetime(6) not null,
        primary key (plan, entity, key_hash),
        index migrate_failures_last_seen (plan, entity, last_seen)
      ) ${TABLE_OPTIONS}`,
      `create table if not exists migrate_reports (
        id varchar(64) not null primary key,
        plan ${NAME} not null,
        entity ${NAME} not null,
        created_at datetime(6) not null,
        report longtext not null,
        index migrate_reports_latest (plan, entity, created_at, id)
      ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 2,
    description: 'checkpoints keep the mismatch tally of verification sweeps',
    // MySQL has no ADD COLUMN IF NOT EXISTS (MariaDB has); the check keeps a re-run after a crash harmless.
    sql: [addColumnIfMissing('migrate_checkpoints', 'mismatches', 'bigint null')],
  },
  {
    version: 3,
    description: 'verification re-check queue: rows that differed or changed during a sweep, per run',
    // Keys are unbounded, so the primary key holds their SHA-256, as for failures; pages follow key_hash.
    sql: [
      `create table if not exists migrate_verify_entries (
        plan ${NAME} not null,
        entity ${NAME} not null,
        run_key varchar(191) not null,
        key_hash binary(32) not null,
        key_text text not null,
        class varchar(16) not null,
        state varchar(16) not null,
        fields text not null,
        updated_at datetime(6) not null,
        primary key (plan, entity, run_key, key_hash),
        index migrate_verify_entries_state (plan, entity, run_key, state, key_hash)
      ) ${TABLE_OPTIONS}`,
    ],
  },
];

/** A migration step: a statement, or a function for steps that must look before they act. */
type Step = string | ((q: <R>(sql: string, params?: unknown[]) => Promise<R>) => Promise<void>);

function addColumnIfMissing(table: string, column: string, type: string): Step {
  return async (q) => {
    const rows = await q<unknown[]>(
      'select 1 from information_schema.columns where table_schema = database() and table_name = ? and column_name = ?',
      [table, column],
    );
    if (rows.length === 0) await q(`alter table ${table} add column ${column} ${type}`);
  };
}

type Conn = Pick<mysql.Pool | mysql.PoolConnection, 'query'>;

function poolOptions(url: string, poolSize: number): mysql.PoolOptions {
  const u = new URL(url);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of u.searchParams) extra[k] = v;
  return {
    ...extra,
    host: decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')),
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
    connectionLimit: poolSize,
    connectTimeout: 10_000,
    // DATETIME columns hold UTC; with 'Z' the driver writes and reads Dates as UTC to match UTC_TIMESTAMP().
    timezone: 'Z',
    charset: 'utf8mb4',
  };
}

/** Opens a pool on a mysql:// or mariadb:// URL; nothing is queried until the first call. */
export function createMysqlStateStore(url: string, poolSize = 4): StateStore {
  const pool = mysql.createPool(poolOptions(url, poolSize));
  // Same reason as on PostgreSQL: a dropped idle connection must not crash the process.
  pool.on('connection', (c) => c.on('error', () => undefined));

  async function q<R>(sql: string, params: unknown[] = [], on: Conn = pool): Promise<R> {
    try {
      const [rows] = await on.query(sql, params);
      return rows as R;
    } catch (e) {
      throw isConnectionError(e) ? unreachable(url, e) : e;
    }
  }

  async function withConnection<T>(fn: (c: mysql.PoolConnection) => Promise<T>): Promise<T> {
    let c: mysql.PoolConnection;
    try {
      c = await pool.getConnection();
    } catch (e) {
      throw unreachable(url, e);
    }
    try {
      return await fn(c);
    } finally {
      c.release();
    }
  }

  async function tx<T>(fn: (c: mysql.PoolConnection) => Promise<T>): Promise<T> {
    return withConnection(async (c) => {
      await c.beginTransaction();
      try {
        const result = await fn(c);
        await c.commit();
        return result;
      } catch (e) {
        await c.rollback().catch(() => undefined);
        throw isConnectionError(e) ? unreachable(url, e) : e;
      }
    });
  }

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
    report: JSON.parse(r.report) as T,
  });

  async function insertAudit(entry: AuditEntry, on: Conn): Promise<void> {
    await q(
      `insert into migrate_audit (at, plan, entity, action, detail, actor, reason) values (utc_timestamp(6), ?, ?, ?, ?, ?, ?)`,
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
      await withConnection(async (c) => {
        // GET_LOCK is server-wide, so the lock name carries the database: stores in two databases of one server do not wait on each other.
        const lockName = "left(concat('migrate_schema.', coalesce(database(), '')), 64)";
        const got = await q<{ ok: number | null }[]>(`select get_lock(${lockName}, ?) as ok`, [LOCK_TIMEOUT_S], c);
        if (got[0]?.ok !== 1) {
          throw unreachable(url, new Error(`another process held the schema migration lock for more than ${LOCK_TIMEOUT_S}s`));
        }
        try {
          await q(
            `create table if not exists migrate_schema_version (
              version int not null primary key,
              description varchar(255) not null,
              applied_at datetime(6) not null
            ) ${TABLE_OPTIONS}`,
            [],
            c,
          );
          const rows = await q<{ v: number | null }[]>('select max(version) as v from migrate_schema_version', [], c);
          const current = rows[0]?.v ?? 0;
          for (const m of MIGRATIONS) {
            if (m.version <= current) continue;
            for (const step of m.sql) {
              if (typeof step === 'string') await q(step, [], c);
              else await step((sql, params = []) => q(sql, params, c));
            }
            await q('insert into migrate_schema_version (version, description, applied_at) values (?, ?, utc_timestamp(6))', [m.version, m.description], c);
          }
        } finally {
          await c.query(`select release_lock(${lockName})`).catch(() => undefined);
        }
      });
    },

    async getFlag(name) {
      const rows = await q<FlagRow[]>('select name, enabled, updated_at, updated_by from migrate_flags where name = ?', [name]);
      return rows[0] ? toFlag(rows[0]) : undefined;
    },

    async setFlag(plan, name, enabled, actor, reason, entity) {
      await tx(async (c) => {
        const prev = await q<{ enabled: number }[]>('select enabled from migrate_flags where name = ? for update', [name], c);
        await q(
          `insert into migrate_flags (name, enabled, updated_at, updated_by) values (?, ?, utc_timestamp(6), ?)
           on duplicate key update enabled = values(enabled), updated_at = values(updated_at), updated_by = values(updated_by)`,
          [name, enabled, actor],
          c,
        );
        const previous = prev[0] === undefined ? null : Boolean(prev[0].enabled);
        await insertAudit({ plan, entity, action: 'flag.set', detail: { flag: name, enabled, previous }, actor, reason }, c);
      });
    },

    async listFlags() {
      const rows = await q<FlagRow[]>('select name, enabled, updated_at, updated_by from migrate_flags order by name');
      return rows.map(toFlag);
    },

    async appendAudit(entry) {
      await insertAudit(entry, pool);
    },

    async listAudit({ plan, entity, limit = 100 }) {
      const rows = await q<AuditRow[]>(
        `select id, at, plan, entity, action, detail, actor, reason from migrate_audit
         where plan = ? and (? is null or entity = ?) order by id desc limit ?`,
        [plan, entity ?? null, entity ?? null, limit],
      );
      return rows.map((r) => ({
        id: Number(r.id),
        at: r.at,
        plan: r.plan,
        ...(r.entity === null ? {} : { entity: r.entity }),
        action: r.action,
        ...(r.detail === null ? {} : { detail: JSON.parse(r.detail) as Record<string, unknown> }),
        actor: r.actor,
        ...(r.reason === null ? {} : { reason: r.reason }),
      }));
    },

    async getCheckpoint(plan, entity, runKey, partition) {
      const rows = await q<CheckpointRow[]>(
        `select cursor_json, rows_done, failures, mismatches, done from migrate_checkpoints
         where plan = ? and entity = ? and run_key = ? and partition_no = ?`,
        [plan, entity, runKey, partition],
      );
      const r = rows[0];
      if (!r) return undefined;
      return {
        ...(r.cursor_json === null ? {} : { cursor: JSON.parse(r.cursor_json) as KeyTuple }),
        rowsDone: Number(r.rows_done),
        failures: Number(r.failures),
        ...(r.mismatches === null ? {} : { mismatches: Number(r.mismatches) }),
        done: Boolean(r.done),
      } satisfies Checkpoint;
    },

    async saveCheckpoint(plan, entity, runKey, partition, cp) {
      // One statement: this runs after every batch of every partition.
      // VALUES() rather than the row-alias syntax because MariaDB has no row alias.
      await q(
        `insert into migrate_checkpoints (plan, entity, run_key, partition_no, cursor_json, rows_done, failures, mismatches, done, updated_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, utc_timestamp(6))
         on duplicate key update cursor_json = values(cursor_json), rows_done = values(rows_done), failures = values(failures),
           mismatches = values(mismatches), done = values(done), updated_at = values(updated_at)`,
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
      await q('delete from migrate_checkpoints where plan = ? and entity = ? and run_key = ?', [plan, entity, runKey]);
    },

    async recordFailures(failures) {
      // Deduplicated so a key repeated within one call counts as one attempt, as on PostgreSQL.
      const unique = lastByKey(failures, (f) => JSON.stringify([f.plan, f.entity, keyText(f.key)]));
      for (const batch of chunks(unique)) {
        const values = batch.map((f) => {
          const text = keyText(f.key);
          return [f.plan, f.entity, keyHash(text), text, f.status, errorExcerpt(f.error)];
        });
        await q(
          `insert into migrate_failures (plan, entity, key_hash, key_text, status, error, attempts, first_seen, last_seen)
           values ${batch.map(() => '(?, ?, ?, ?, ?, ?, 1, utc_timestamp(6), utc_timestamp(6))').join(', ')}
           on duplicate key update status = values(status), error = values(error),
             attempts = attempts + 1, last_seen = values(last_seen)`,
          values.flat(),
        );
      }
    },

    async listFailures(plan, entity, limit = 1000) {
      const rows = await q<FailureRow[]>(
        `select plan, entity, key_text, status, error, attempts, first_seen, last_seen from migrate_failures
         where plan = ? and entity = ? order by first_seen, key_hash limit ?`,
        [plan, entity, limit],
      );
      return rows.map(toFailure);
    },

    async countFailures(plan, entity) {
      const rows = await q<{ n: number }[]>('select count(*) as n from migrate_failures where plan = ? and entity = ?', [plan, entity]);
      return Number(rows[0]?.n ?? 0);
    },

    async removeFailures(plan, entity, keys) {
      for (const batch of chunks(keys)) {
        await q('delete from migrate_failures where plan = ? and entity = ? and key_hash in (?)', [
          plan,
          entity,
          batch.map((k) => keyHash(keyText(k))),
        ]);
      }
    },

    async purgeFailures(plan, entity, olderThan) {
      const res = await q<mysql.ResultSetHeader>('delete from migrate_failures where plan = ? and entity = ? and last_seen < ?', [
        plan,
        entity,
        olderThan,
      ]);
      return res.affectedRows;
    },

    async saveReport(plan, entity, report) {
      const id = newReportId();
      await q('insert into migrate_reports (id, plan, entity, created_at, report) values (?, ?, ?, utc_timestamp(6), ?)', [
        id,
        plan,
        entity,
        JSON.stringify(report),
      ]);
      return id;
    },

    async getReport<T>(id: string) {
      const rows = await q<ReportRow[]>('select id, plan, entity, created_at, report from migrate_reports where id = ?', [id]);
      return rows[0] ? toReport<T>(rows[0]) : undefined;
    },

    async latestReport<T>(plan: string, entity: string) {
      const rows = await q<ReportRow[]>(
        `select id, plan, entity, created_at, report from migrate_reports where plan = ? and entity = ?
         order by created_at desc, id desc limit 1`,
        [plan, entity],
      );
      return rows[0] ? toReport<T>(rows[0]) : undefined;
    },

    async saveVerifyEntries(plan, entity, runKey, entries) {
      const unique = lastByKey(entries, (e) => keyText(e.key));
      for (const batch of chunks(unique)) {
        const values = batch.map((e) => {
          const text = keyText(e.key);
          return [plan, entity, runKey, keyHash(text), text, e.class, e.state, JSON.stringify(e.fields)];
        });
        await q(
          `insert into migrate_verify_entries (plan, entity, run_key, key_hash, key_text, class, state, fields, updated_at)
           values ${batch.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, utc_timestamp(6))').join(', ')}
           on duplicate key update class = values(class), state = values(state), fields = values(fields), updated_at = values(updated_at)`,
          values.flat(),
        );
      }
    },

    async listVerifyEntries(plan, entity, runKey, filter) {
      const limit = filter.limit ?? 1000;
      const after = filter.after === undefined ? null : Buffer.from(filter.after, 'hex');
      const rows = await q<{ key_hash: Buffer; key_text: string; class: VerifyEntry['class']; state: VerifyEntry['state']; fields: string }[]>(
        `select key_hash, key_text, class, state, fields from migrate_verify_entries
         where plan = ? and entity = ? and run_key = ? and (? is null or state = ?) and (? is null or class = ?)
           and (? is null or key_hash > ?)
         order by key_hash limit ?`,
        [plan, entity, runKey, filter.state ?? null, filter.state ?? null, filter.class ?? null, filter.class ?? null, after, after, limit],
      );
      const entries = rows.map((r) => ({ key: JSON.parse(r.key_text) as KeyTuple, class: r.class, state: r.state, fields: JSON.parse(r.fields) as string[] }));
      return rows.length === limit ? { entries, next: rows[rows.length - 1]!.key_hash.toString('hex') } : { entries };
    },

    async countVerifyEntries(plan, entity, runKey) {
      const rows = await q<{ class: VerifyEntry['class']; state: VerifyEntry['state']; n: number | string }[]>(
        'select class, state, count(*) as n from migrate_verify_entries where plan = ? and entity = ? and run_key = ? group by class, state',
        [plan, entity, runKey],
      );
      return rows.map((r) => ({ class: r.class, state: r.state, n: Number(r.n) }));
    },

    async clearVerifyEntries(plan, entity, runKey) {
      await q('delete from migrate_verify_entries where plan = ? and entity = ? and run_key = ?', [plan, entity, runKey]);
    },

    async close() {
      await pool.end();
    },
  };
}

function toFlag(r: FlagRow): FlagValue {
  return { name: r.name, enabled: Boolean(r.enabled), updatedAt: r.updated_at, updatedBy: r.updated_by };
}

interface FlagRow {
  name: string;
  enabled: number;
  updated_at: Date;
  updated_by: string;
}
interface AuditRow {
  id: number | string;
  at: Date;
  plan: string;
  entity: string | null;
  action: string;
  detail: string | null;
  actor: string;
  reason: string | null;
}
interface CheckpointRow {
  cursor_json: string | null;
  rows_done: number | string;
  failures: number | string;
  mismatches: number | string | null;
  done: number;
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
  report: string;
}
