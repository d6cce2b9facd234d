/**
 * `migrate consumer ingest`: the one path by which consumer-library instances reach the
 * orchestrator (docs/consumer.md). It accepts exactly one thing — a consumer report, validated
 * against the report schema, for an entity of the plan and a consumer its cutover lists — and
 * writes it into the report and acknowledgement tables. Applications get no database credentials
 * and no other write: nothing else is served but a health check.
 *
 *   POST /v1/consumer-reports   a ConsumerReport (src/consumer/report.ts) → 200 { stored: true|false }
 *   GET  /healthz               `ok`
 *
 * With a token (MIGRATE_INGEST_TOKEN), reports must carry `Authorization: Bearer <token>`.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { consumerReportSchema } from '../consumer/report.js';
import { phaseOf, type Plan } from '../plan/schema.js';
import { secrets } from '../secrets.js';
import type { ConsumerReportStore } from '../state/types.js';
import { listen } from './listen.js';

/** A report is a few KB (counts and at most 100 samples); anything far larger is refused unread. */
export const MAX_REPORT_BYTES = 1024 * 1024;

export interface ConsumerIngest {
  readonly url: string;
  close(): Promise<void>;
}

class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The consumers an entity's cutover lists, or undefined when it has no cutover phase (any name is accepted). */
function consumersOf(plan: Plan, entity: string): readonly string[] | undefined {
  const e = plan.entities[entity];
  if (e === undefined) return undefined;
  return phaseOf(e, 'cutover')?.consumers;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_REPORT_BYTES) throw new Refused(413, `a report is at most ${MAX_REPORT_BYTES} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export async function startConsumerIngest(opts: { plan: Plan; store: ConsumerReportStore; host: string; port: number; token?: string; log?: (line: string) => void }): Promise<ConsumerIngest> {
  const { plan, store } = opts;
  if (opts.token !== undefined) secrets.add(opts.token);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz' && req.method === 'GET') return send(res, 200, 'ok');
    if (path !== '/v1/consumer-reports') throw new Refused(404, `no such path ${path}; consumers POST their reports to /v1/consumer-reports`);
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      throw new Refused(405, 'only POST is accepted here');
    }
    if (opts.token !== undefined && !tokenMatches(req.headers.authorization, opts.token)) throw new Refused(401, 'a valid `Authorization: Bearer <MIGRATE_INGEST_TOKEN>` is needed');
    let json: unknown;
    try {
      json = JSON.parse(await readBody(req));
    } catch (e) {
      if (e instanceof Refused) throw e;
      throw new Refused(400, 'the body is not JSON');
    }
    const parsed = consumerReportSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Refused(422, `not a consumer report: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
    }
    const r = parsed.data;
    if (r.plan !== undefined && r.plan !== plan.name) throw new Refused(422, `the report is for plan ${r.plan}; this endpoint serves plan ${plan.name}`);
    if (plan.entities[r.entity] === undefined) throw new Refused(422, `plan ${plan.name} has no entity ${r.entity}`);
    const listed = consumersOf(plan, r.entity);
    if (listed !== undefined && !listed.includes(r.consumer)) {
      throw new Refused(403, `consumer ${r.consumer} is not listed in the cutover of ${r.entity} (${listed.join(', ')})`);
    }
    const stored = await store.saveConsumerReport(plan.name, r.entity, { consumer: r.consumer, instance: r.instance, seq: r.seq, ack: r.ack, epochs: r.epochs });
    send(res, 200, { stored });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof Refused) {
        opts.log?.(`consumer ingest: refused ${req.method} ${req.url} (${e.status}): ${e.message}`);
        if (!res.headersSent) send(res, e.status, { error: e.message });
        // Unread body bytes would otherwise keep the socket busy.
        req.resume();
        return;
      }
      const message = secrets.redact((e as Error).message);
      opts.log?.(`consumer ingest: ${req.method} ${req.url} failed: ${message}`);
      if (!res.headersSent) send(res, 503, { error: `storing the report failed: ${message}` });
      else res.destroy();
    });
  });
  return listen(server, opts.port, opts.host);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? `${body}\n` : `${JSON.stringify(body)}\n`;
  res.statusCode = status;
  res.setHeader('Content-Type', typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json');
  res.end(text);
}

/** Serves until SIGINT/SIGTERM, then closes; the caller closes the store. */
export async function ingestUntilSignalled(opts: Parameters<typeof startConsumerIngest>[0] & { log: (line: string) => void }): Promise<void> {
  const server = await startConsumerIngest(opts);
  opts.log(`accepting consumer reports of plan ${opts.plan.name} at ${server.url}/v1/consumer-reports${opts.token === undefined ? ' (no token: set MIGRATE_INGEST_TOKEN to require one)' : ''}; Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  opts.log('consumer ingest stopped');
}
