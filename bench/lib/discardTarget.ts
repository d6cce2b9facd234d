/**
 * The discard target: a process that speaks the target protocol (docs/target-protocol.md) for the
 * bench's `orders` and stores nothing. It parses every batch, answers a per-item 200 to
 * `:batchUpsert`, and answers `:batchGet` with the item the bench seed's row of that id maps to
 * (computed from the id), so a verification finds every row equal. Its cost per request is a parse
 * and a stringify, so a benchmark into it measures the client, not a database.
 * Run: `node --import tsx bench/lib/discardTarget.ts --port 0 --token T`; prints
 * `discard target listening on <url>`. `GET /admin/requests` gives the same counters the bench
 * reads from the reference service (itemsReceived, firstWriteAt, lastWriteAt); `POST /admin/reset`
 * zeroes them.
 * Shares no code with Tracer, on purpose.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, token: { type: 'string' } } });

const STATUSES = ['created', 'paid', 'shipped'];
const EPOCH = Date.UTC(2024, 0, 1);
/** What the bench mapping makes of seeded row `id` (bench/lib/common.ts seedOrders). */
const orderOf = (id: number) => ({
  id,
  customerId: (id % 97) + 1,
  total: id * 10 + 1,
  status: STATUSES[id % 3],
  updatedAt: new Date(EPOCH + id * 1000).toISOString(),
});

const counters = { itemsReceived: 0, writes: 0, reads: 0, firstWriteAt: 0, lastWriteAt: 0 };

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/admin/requests') return answer(res, 200, counters);
    // Between the runs of one worker (bench:backfill --warm): the counters start again from zero.
    if (path === '/admin/reset' && req.method === 'POST') {
      Object.assign(counters, { itemsReceived: 0, writes: 0, reads: 0, firstWriteAt: 0, lastWriteAt: 0 });
      return answer(res, 200, counters);
    }
    if (values.token !== undefined && req.headers.authorization !== `Bearer ${values.token}`) return answer(res, 401, { error: 'missing or invalid bearer token' });
    let body: { items?: Record<string, unknown>[]; keys?: { id: unknown }[] };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return answer(res, 400, { error: 'request body is not valid JSON' });
    }
    if (path === '/v1/orders:batchUpsert' && Array.isArray(body.items)) {
      const now = Date.now();
      counters.writes += 1;
      counters.itemsReceived += body.items.length;
      counters.firstWriteAt ||= now;
      counters.lastWriteAt = now;
      return answer(res, 200, { results: body.items.map((it) => ({ key: { id: it.id }, status: 200 })) });
    }
    if (path === '/v1/orders:batchGet' && Array.isArray(body.keys)) {
      counters.reads += 1;
      return answer(res, 200, { items: body.keys.map((k) => orderOf(Number(k.id))) });
    }
    answer(res, 404, { error: `no route ${req.method} ${path}` });
  });
});
server.keepAliveTimeout = 10_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`discard target listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
