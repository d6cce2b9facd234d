/**
 * The sample consumer app (examples/orders-consumer) as real processes, one per consumer name,
 * configured the way its header documents; with `historyDir` each records its operations for the
 * history checker (docs/history-checker.md).
 */
import path from 'node:path';
import { startReadyProcess, type ReadyProcess } from './processes.js';

export interface OrdersConsumersOptions {
  legacyUrl: string;
  serviceUrl: string;
  /** Routing document: a file or a `migrate flags serve` URL. */
  routing: string;
  /** Where reports go (`migrate consumer ingest`'s /v1/consumer-reports, or any sink). */
  reportUrl: string;
  /** From `migrate consumer rules --entity orders --out …`. */
  rulesFile: string;
  /** Each app's failure log goes here as `<name>.failures.jsonl`. */
  dir: string;
  /** TRACER_HISTORY_DIR: record every read and write there. */
  historyDir?: string;
  /** Anything else of the app's environment (POLL_MS, REPORT_EVERY_MS, RECHECK_MS …). */
  env?: NodeJS.ProcessEnv;
}

export interface OrdersConsumer extends ReadyProcess {
  name: string;
  /** `http://127.0.0.1:<port>`, as the app printed it. */
  url: string;
}

/** Starts one app per name, one after the other; each resolves once it listens. */
export async function startOrdersConsumers(names: readonly string[], o: OrdersConsumersOptions): Promise<OrdersConsumer[]> {
  const started: OrdersConsumer[] = [];
  for (const name of names) {
    const env: NodeJS.ProcessEnv = {
      LEGACY_DATABASE_URL: o.legacyUrl,
      FULFILLMENT_URL: o.serviceUrl,
      CONSUMER_NAME: name,
      ROUTING: o.routing,
      REPORT_URL: o.reportUrl,
      RULES_FILE: o.rulesFile,
      FAILURE_LOG: path.join(o.dir, `${name}.failures.jsonl`),
      ...(o.historyDir !== undefined ? { TRACER_HISTORY_DIR: o.historyDir } : {}),
      ...o.env,
    };
    const app = await startReadyProcess(['--import', 'tsx', 'examples/orders-consumer/main.ts'], env, /listening on (http:\/\/\S+)/);
    started.push({ ...app, name, url: app.match[1]! });
  }
  return started;
}

/**
 * The `orders` entity of the sample app's table (id, status, total_cents, email), for a test plan's
 * `entities:`, followed by the test's own phases (YAML list items indented six spaces).
 */
export const SAMPLE_ORDERS_ENTITY_YAML = (phasesYaml: string): string => `  orders:
    source: { db: legacy, table: orders, key: [id] }
    target:
      service: fulfillment
      write: { method: POST, path: "/v1/orders:batchUpsert", batch: 100 }
      read: { method: POST, path: "/v1/orders:batchGet", batch: 100 }
    map:
      id: id
      status: status
      total: { from: total_cents, as: integer }
      email: { from: email, sensitive: true }
    phases:
${phasesYaml}`;
