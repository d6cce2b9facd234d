/**
 * Where the checker reads the final source of truth: small adapters for the sample app's orders
 * (the legacy `orders` table, or the new service's `GET /v1/orders/{id}`), and a JSON file. Each
 * answers, for the keys a history touched, the value in the same shape the app's reads return
 * (`{ id, status, total, email }`), or null when absent.
 */
import { readFileSync } from 'node:fs';
import { openLegacyOrders, type LegacyOrders, type Order } from '../../examples/orders-consumer/legacy.js';
import { keyText } from './format.js';

export interface TruthSource {
  /** What the verdict names as the truth (never a URL: it may hold a password). */
  describe: string;
  read(keys: unknown[]): Promise<Map<string, unknown>>;
  /** Every value (for a snapshot of the state before a run). */
  readAll?(): Promise<Map<string, unknown>>;
  close(): Promise<void>;
}

/** The sample app's legacy table, PostgreSQL or MySQL/MariaDB (read through the app's own ./legacy.ts). */
export function legacyOrdersTruth(url: string, table = 'orders'): TruthSource {
  let store: Promise<LegacyOrders> | undefined;
  const open = (): Promise<LegacyOrders> => (store ??= openLegacyOrders(url, { table }));
  const toMap = (orders: Order[]): Map<string, unknown> => new Map(orders.map((o) => [keyText(o.id), o]));
  return {
    describe: `legacy table ${table}`,
    async read(keys) {
      const found = toMap(await (await open()).getMany(keys.map((k) => Number(k))));
      return new Map(keys.map((k) => [keyText(k), found.get(keyText(k)) ?? null]));
    },
    readAll: async () => toMap(await (await open()).all()),
    close: async () => {
      if (store !== undefined) await (await store).close();
    },
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
