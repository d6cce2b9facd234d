/**
 * A sample consumer: an HTTP service that reads and writes orders through the consumer library.
 * Its legacy store is an `orders` table in PostgreSQL or MySQL/MariaDB; the new service is the reference
 * fulfillment service (`PUT/GET /v1/orders/{id}`). Which side answers is the routing document's
 * business, not this code's: the same binary runs unchanged through every cutover stage.
 *
 *   GET  /orders/:id        → the order (404 when absent)
 *   PUT  /orders/:id        body { status, total, email } → 200 { ok, route }
 *   POST /admin/replay      → { replayed, failed, remaining } (drains the failure log)
 *   POST /admin/flush       → waits for shadow comparisons and sends a report
 *   GET  /healthz
 *
 * An application would import from 'tracer-migrate/consumer'; the example imports the source so it
 * runs from a checkout without a build.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConsumerConfigError,
  createConsumer,
  RoutingUnavailableError,
  WriteFencedError,
  type Consumer,
  type ConsumerOptions,
  type ComparisonRuleSet,
} from '../../src/consumer/index.js';
import { openLegacyOrders, type Order } from './legacy.js';

export type { Order } from './legacy.js';

/**
 * Records each read and write for the history checker (bench/history/recorder.ts; main.ts opens one
 * when TRACER_HISTORY_DIR is set). docs/history-checker.md.
 */
export interface OperationRecorder {
  read<T>(key: unknown, run: () => Promise<T>): Promise<T>;
  write<R>(key: unknown, value: unknown, run: () => Promise<R>, classify: (error: unknown) => 'fail' | 'unknown'): Promise<R>;
  close(): void;
}

/**
 * A write that failed with one of these was refused before either store was touched (fenced, no
 * routing document yet, the consumer closed): certainly not applied. Any other failure may have
 * reached a store, so its outcome is unknown.
 */
export const notApplied = (e: unknown): 'fail' | 'unknown' =>
  e instanceof WriteFencedError || e instanceof RoutingUnavailableError || e instanceof ConsumerConfigError ? 'fail' : 'unknown';

export interface OrdersAppOptions {
  /** URL of the legacy database, PostgreSQL or MySQL/MariaDB (table `orders`, created when missing; ./legacy.ts). */
  legacyUrl: string;
  /** Base URL of the new service. */
  serviceUrl: string;
  serviceToken?: string;
  consumer: string;
  routing: string;
  reportUrl: string;
  rules: ComparisonRuleSet;
  failureLog: string;
  port?: number;
  pollMs?: number;
  reportEveryMs?: number;
  shadow?: ConsumerOptions['shadow'];
  history?: OperationRecorder;
}

export interface OrdersApp {
  url: string;
  consumer: Consumer;
  close(): Promise<void>;
}

export async function startOrdersApp(opts: OrdersAppOptions): Promise<OrdersApp> {
  const legacy = await openLegacyOrders(opts.legacyUrl, { create: true });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.serviceToken !== undefined) headers.authorization = `Bearer ${opts.serviceToken}`;

  const service = {
    async get(id: number, signal?: AbortSignal): Promise<Order | null> {
      const res = await fetch(`${opts.serviceUrl}/v1/orders/${id}`, { headers, ...(signal ? { signal } : {}) });
      const text = await res.text();
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`new service GET ${id}: ${res.status}`);
      return JSON.parse(text) as Order;
    },
    async put(id: number, order: Order): Promise<void> {
      const res = await fetch(`${opts.serviceUrl}/v1/orders/${id}`, { method: 'PUT', headers, body: JSON.stringify(order) });
      await res.text();
      if (!res.ok) throw new Error(`new service PUT ${id}: ${res.status}`);
    },
  };
  const consumer = createConsumer({
    name: opts.consumer,
    entity: 'orders',
    routing: opts.routing,
    ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
    report: { url: opts.reportUrl, ...(opts.reportEveryMs !== undefined ? { everyMs: opts.reportEveryMs } : {}) },
    rules: opts.rules,
    ...(opts.shadow !== undefined ? { shadow: opts.shadow } : {}),
    failures: { path: opts.failureLog, replay: (_key, value) => service.put((value as Order).id, value as Order) },
  });
  await consumer.ready();

  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const readBody = async (req: http.IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return chunks.length === 0 ? undefined : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = /^\/orders\/(\d+)$/.exec(url.pathname);
    const work = async (): Promise<void> => {
      if (url.pathname === '/healthz') return send(res, 200, { ok: true, epoch: consumer.epoch() ?? null });
      if (m && req.method === 'GET') {
        const id = Number(m[1]);
        const read = (): Promise<Order | null> => consumer.read(id, { legacy: () => legacy.get(id), next: (signal) => service.get(id, signal) });
        const order = await (opts.history ? opts.history.read(id, read) : read());
        return order === null ? send(res, 404, { error: `no order ${id}` }) : send(res, 200, order);
      }
      if (m && req.method === 'PUT') {
        const id = Number(m[1]);
        const body = (await readBody(req)) as Omit<Order, 'id'>;
        const order: Order = { id, status: body.status, total: body.total, email: body.email };
        const route = consumer.writeRoute();
        const write = (): Promise<void> => consumer.write(id, { value: order, legacy: () => legacy.put(order), next: () => service.put(id, order) });
        await (opts.history ? opts.history.write(id, order, write, notApplied) : write());
        return send(res, 200, { ok: true, route });
      }
      if (url.pathname === '/admin/replay' && req.method === 'POST') return send(res, 200, await consumer.replay());
      if (url.pathname === '/admin/flush' && req.method === 'POST') {
        await consumer.flush();
        return send(res, 200, { ok: true });
      }
      send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    };
    work().catch((e: unknown) => {
      const err = e as Error & { retryable?: boolean };
      if (!res.headersSent) send(res, err.retryable === true ? 503 : 500, { error: err.message });
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    consumer,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await consumer.close();
      await legacy.close();
      opts.history?.close();
    },
  };
}
