/**
 * Where the checker reads the final source of truth: small adapters for the sample app's orders
 * (the legacy `orders` table, or the new service's `GET /v1/orders/{id}`), and a JSON file. Each
 * answers, for the keys a history touched, the value in the same shape the app's reads return
 * (`{ id, status, total, email }`), or null when absent.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { keyText } from './format.js';

export interface TruthSource {
  /** What the verdict names as the truth (never a URL: it may hold a password). */
  describe: string;
  read(keys: unknown[]): Promise<Map<string, unknown>>;
  /** Every value (for a snapshot of the state before a run). */
  readAll?(): Promise<Map<string, unknown>>;
  close(): Promise<void>;
}

type Row = { id: string; status: string; total_cents: string; email: string };
const order = (r: Row): { id: number; status: string; total: number; email: string } => ({ id: Number(r.id), status: r.status, total: Number(r.total_cents), email: r.email });

/** The sample app's legacy table (`id bigint, status text, total_cents bigint, email text`). */
export function legacyOrdersTruth(url: string, table = 'orders'): TruthSource {
  if (!/^[a-z_][a-z0-9_]*$/i.test(table)) throw new Error(`table ${JSON.stringify(table)}: a plain identifier is expected`);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const toMap = (rows: Row[]): Map<string, unknown> => new Map(rows.map((r) => [keyText(Number(r.id)), order(r)]));
  return {
    describe: `legacy table ${table}`,
    async read(keys) {
      const ids = keys.map((k) => String(k));
      const { rows } = await pool.query<Row>(`select id, status, total_cents, email from ${table} where id = any($1::bigint[])`, [ids]);
      const found = toMap(rows);
      return new Map(keys.map((k) => [keyText(k), found.get(keyText(k)) ?? null]));
    },
    async readAll() {
      return toMap((await pool.query<Row>(`select id, status, total_cents, email from ${table}`)).rows);
    },
    close: () => pool.end(),
  };
}

/** The reference fulfillment service: `GET <url>/v1/<collection>/{key}` (404 = absent). */
export function serviceOrdersTruth(url: string, options: { token?: string; collection?: string } = {}): TruthSource {
  const headers: Record<string, string> = options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {};
  const collection = options.collection ?? 'orders';
  return {
    describe: `new service /v1/${collection}`,
    async read(keys) {
      const out = new Map<string, unknown>();
      const queue = [...keys];
      const worker = async (): Promise<void> => {
        for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
          const res = await fetch(`${url}/v1/${collection}/${encodeURIComponent(keyText(k))}`, { headers });
          const text = await res.text();
          if (res.status === 404) out.set(keyText(k), null);
          else if (res.ok) out.set(keyText(k), JSON.parse(text) as unknown);
          else throw new Error(`the new service answered ${res.status} to GET /v1/${collection}/${keyText(k)}`);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      return out;
    },
    close: async () => undefined,
  };
}

/** A JSON object of key → value (null or missing = absent), e.g. an `initial.json` snapshot. */
export function readValuesFile(path: string): Map<string, unknown> {
  const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error(`${path}: a JSON object of key → value is expected`);
  return new Map(Object.entries(data as Record<string, unknown>));
}

export function fileTruth(path: string): TruthSource {
  const values = readValuesFile(path);
  return {
    describe: `file ${path}`,
    read: async (keys) => new Map(keys.map((k) => [keyText(k), values.get(keyText(k)) ?? null])),
    readAll: async () => values,
    close: async () => undefined,
  };
}

export function valuesJson(values: Map<string, unknown>): string {
  return `${JSON.stringify(Object.fromEntries(values), null, 1)}\n`;
}
