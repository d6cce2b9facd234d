/**
 * The DDL of trigger-based change capture on a legacy table, for PostgreSQL and MySQL/MariaDB.
 * Pure: it only builds statements, so `migrate sync --install` can show them as a dry run and the
 * tests can read them. See docs/sync.md for the design.
 *
 * A change table beside the legacy table holds one row per captured change: the changed row's key
 * (in columns of the key's own types, copied by CREATE TABLE … AS SELECT so collations and
 * precision match), the operation, when, and a position from a sequence. AFTER INSERT/UPDATE/DELETE
 * triggers write it in the same transaction as the application's write, so a change is captured if
 * and only if it commits. Sync reads the table in position order and deletes what the service has
 * acknowledged; a transaction that commits late is still found, because nothing is skipped by
 * position. Writes made by Tracer's own reverse sync set a session marker the triggers skip.
 */
import { createHash } from 'node:crypto';
import type { SourceConfig } from '../plan/schema.js';
import { quoteIdent, quoteTable, type DialectName } from '../sources/quote.js';

/** Change-table columns of Tracer's own; prefixed so they cannot collide with key column names. */
export const CHANGE_COLUMNS = { position: '_tracer_position', op: '_tracer_op', at: '_tracer_at' } as const;

/** The session marker reverse sync sets so its own writes are not captured (no echo). */
export const ORIGIN_MARKER = { postgres: 'tracer.origin', mysql: '@tracer_origin', value: 'sync' } as const;

export type ChangeOp = 'I' | 'U' | 'D';

/** Names of everything capture creates for one table; the uninstall drops exactly these. */
export interface CaptureObjects {
  changeTable: { schema?: string; table: string };
  /** PostgreSQL: the trigger function. */
  function?: string;
  /** PostgreSQL: one trigger; MySQL: one per event. */
  triggers: string[];
}

const MAX_IDENT = { postgres: 63, mysql: 64 } as const;

/** `tracer_<stem>_<suffix>`, shortened with a hash of the table name when it would pass the dialect's limit. */
function objectName(dialect: DialectName, table: string, suffix: string): string {
  const full = `tracer_${table}_${suffix}`;
  if (Buffer.byteLength(full) <= MAX_IDENT[dialect]) return full;
  const hash = createHash('sha256').update(table).digest('hex').slice(0, 8);
  const room = MAX_IDENT[dialect] - `tracer__${hash}_${suffix}`.length;
  return `tracer_${table.slice(0, Math.max(0, room))}_${hash}_${suffix}`;
}

/** The objects capture creates for this source table. */
export function captureObjects(dialect: DialectName, source: Pick<SourceConfig, 'schema' | 'table'>): CaptureObjects {
  const changeTable = { ...(source.schema ? { schema: source.schema } : {}), table: objectName(dialect, source.table, 'changes') };
  if (dialect === 'postgres') {
    return { changeTable, function: objectName(dialect, source.table, 'capture'), triggers: [objectName(dialect, source.table, 'capture')] };
  }
  return { changeTable, triggers: (['ai', 'au', 'ad'] as const).map((s) => objectName(dialect, source.table, s)) };
}

function qualified(dialect: DialectName, schema: string | undefined, name: string): string {
  return quoteTable(dialect, { ...(schema ? { schema } : {}), table: name });
}

/** Statements that install capture, in order; each is one statement the driver can run alone. */
export function installStatements(dialect: DialectName, source: Pick<SourceConfig, 'schema' | 'table' | 'key'>): string[] {
  const q = (n: string) => quoteIdent(dialect, n);
  const objects = captureObjects(dialect, source);
  const legacy = quoteTable(dialect, source);
  const changes = quoteTable(dialect, objects.changeTable);
  const keyCols = source.key.map(q).join(', ');
  const [pos, op, at] = [q(CHANGE_COLUMNS.position), q(CHANGE_COLUMNS.op), q(CHANGE_COLUMNS.at)];
  const insertOf = (row: 'NEW' | 'OLD', code: ChangeOp) =>
    `INSERT INTO ${changes} (${keyCols}, ${op}) VALUES (${source.key.map((k) => `${row}.${q(k)}`).join(', ')}, '${code}')`;
  const keyChanged = source.key.map((k) => `OLD.${q(k)} IS DISTINCT FROM NEW.${q(k)}`).join(' OR ');

  if (dialect === 'postgres') {
    const fn = qualified(dialect, source.schema, objects.function!);
    return [
      `CREATE TABLE ${changes} AS SELECT ${keyCols} FROM ${legacy} WITH NO DATA`,
      `ALTER TABLE ${changes} ADD COLUMN ${pos} bigserial PRIMARY KEY, ADD COLUMN ${op} char(1) NOT NULL, ADD COLUMN ${at} timestamptz NOT NULL DEFAULT clock_timestamp()`,
      [
        `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $tracer$`,
        `BEGIN`,
        `  IF coalesce(current_setting('${ORIGIN_MARKER.postgres}', true), '') = '${ORIGIN_MARKER.value}' THEN RETURN NULL; END IF;`,
        `  IF TG_OP = 'INSERT' THEN`,
        `    ${insertOf('NEW', 'I')};`,
        `  ELSIF TG_OP = 'UPDATE' THEN`,
        `    ${insertOf('NEW', 'U')};`,
        // A key change moves the row: the old key must disappear from the service.
        `    IF ${keyChanged} THEN ${insertOf('OLD', 'D')}; END IF;`,
        `  ELSE`,
        `    ${insertOf('OLD', 'D')};`,
        `  END IF;`,
        `  RETURN NULL;`,
        `END`,
        `$tracer$`,
      ].join('\n'),
      `CREATE TRIGGER ${q(objects.triggers[0]!)} AFTER INSERT OR UPDATE OR DELETE ON ${legacy} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
    ];
  }

  const skipOwn = `COALESCE(${ORIGIN_MARKER.mysql}, '') <> '${ORIGIN_MARKER.value}'`;
  const [ai, au, ad] = objects.triggers.map(q);
  // MySQL has no IS DISTINCT FROM; <=> is its null-safe equality. BINARY makes a change of case
  // under a case-insensitive collation a key change too: the service holds the old spelling.
  const keyChangedMysql = source.key.map((k) => `NOT (BINARY OLD.${q(k)} <=> BINARY NEW.${q(k)})`).join(' OR ');
  return [
    `CREATE TABLE ${changes} AS SELECT ${keyCols} FROM ${legacy} LIMIT 0`,
    `ALTER TABLE ${changes} ADD COLUMN ${pos} BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY FIRST, ADD COLUMN ${op} CHAR(1) NOT NULL, ADD COLUMN ${at} TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)`,
    `CREATE TRIGGER ${ai} AFTER INSERT ON ${legacy} FOR EACH ROW BEGIN IF ${skipOwn} THEN ${insertOf('NEW', 'I')}; END IF; END`,
    `CREATE TRIGGER ${au} AFTER UPDATE ON ${legacy} FOR EACH ROW BEGIN IF ${skipOwn} THEN ${insertOf('NEW', 'U')}; IF ${keyChangedMysql} THEN ${insertOf('OLD', 'D')}; END IF; END IF; END`,
    `CREATE TRIGGER ${ad} AFTER DELETE ON ${legacy} FOR EACH ROW BEGIN IF ${skipOwn} THEN ${insertOf('OLD', 'D')}; END IF; END`,
  ];
}

/** Statements that remove capture completely, in order; safe on a partial install. */
export function uninstallStatements(dialect: DialectName, source: Pick<SourceConfig, 'schema' | 'table'>): string[] {
  const q = (n: string) => quoteIdent(dialect, n);
  const objects = captureObjects(dialect, source);
  const legacy = quoteTable(dialect, source);
  const changes = quoteTable(dialect, objects.changeTable);
  if (dialect === 'postgres') {
    return [
      `DROP TRIGGER IF EXISTS ${q(objects.triggers[0]!)} ON ${legacy}`,
      `DROP FUNCTION IF EXISTS ${qualified(dialect, source.schema, objects.function!)}()`,
      `DROP TABLE IF EXISTS ${changes}`,
    ];
  }
  return [
    ...objects.triggers.map((t) => `DROP TRIGGER IF EXISTS ${qualified(dialect, source.schema, t)}`),
    `DROP TABLE IF EXISTS ${changes}`,
  ];
}
