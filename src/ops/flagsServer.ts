/**
 * `migrate flags serve`: a small read-only HTTP endpoint for routing documents and the flagd export,
 * so consumers (the consumer library, flagd's HTTP sync, any app) read routing without database
 * credentials. Every request reads the provider afresh: a published epoch is served at once.
 *
 *   GET /routing/<entity>  the entity's routing document in force (ETag = epoch; If-None-Match → 304)
 *   GET /routing           [{ entity, epoch, publishedAt }] for every entity with routing
 *   GET /flags.json        every flag and routing flag as one flagd file (`flags export --format flagd`)
 *   GET /healthz           `ok`
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FlagProvider } from '../flags/types.js';
import type { Plan } from '../plan/schema.js';
import { exportAllFlagd } from './flags.js';
import { listen } from './listen.js';

export interface FlagsServer {
  /** `http://host:port`, with the port actually bound (useful with port 0). */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts serving; resolves once listening. Errors reading the provider answer 503 with the message, never a stack. */
export async function startFlagsServer(opts: { plan: Plan; flags: FlagProvider; host: string; port: number; log?: (line: string) => void }): Promise<FlagsServer> {
  const { plan, flags } = opts;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      opts.log?.(`flags serve: ${req.method} ${req.url} failed: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 503, { error: `reading flags failed: ${(e as Error).message}` });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, { error: 'read-only: only GET and HEAD are served' });
    }
    if (path === '/healthz') return send(res, 200, 'ok');
    if (path === '/flags.json') return send(res, 200, await exportAllFlagd(plan, flags));
    if (path === '/routing' || path === '/routing/') {
      const all = await flags.listRouting(plan.name);
      return send(res, 200, all.map((r) => ({ entity: r.entity, epoch: r.epoch, publishedAt: r.publishedAt.toISOString() })));
    }
    const m = /^\/routing\/([^/]+)$/.exec(path);
    if (m) {
      const entity = decodeURIComponent(m[1]!);
      const routing = await flags.getRouting(plan.name, entity);
      if (!routing) return send(res, 404, { error: `no routing document has been published for ${entity} in plan ${plan.name}` });
      const etag = `"${routing.epoch}"`;
      res.setHeader('ETag', etag);
      res.setHeader('X-Tracer-Epoch', String(routing.epoch));
      if (req.headers['if-none-match'] === etag) {
        res.statusCode = 304;
        return void res.end();
      }
      return send(res, 200, routing.document);
    }
    send(res, 404, { error: `no such path ${path}; try /routing/<entity>, /routing, /flags.json or /healthz` });
  }

  return listen(server, opts.port, opts.host);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? `${body}\n` : `${JSON.stringify(body, null, 2)}\n`;
  res.statusCode = status;
  res.setHeader('Content-Type', typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json');
  res.setHeader('Cache-Control', 'no-cache');
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** Serves until SIGINT/SIGTERM, then closes; the caller closes the provider's store. */
export async function serveFlagsUntilSignalled(opts: { plan: Plan; flags: FlagProvider; host: string; port: number; log: (line: string) => void }): Promise<void> {
  const server = await startFlagsServer(opts);
  opts.log(`serving routing documents of plan ${opts.plan.name} read-only at ${server.url}/routing/<entity> (also ${server.url}/flags.json); Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  opts.log('flags serve stopped');
}
