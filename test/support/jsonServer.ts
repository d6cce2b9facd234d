/**
 * json-server 0.17 (a dev dependency) as a plain REST target: a real process on a free 127.0.0.1
 * port, stopped by its PID. Its data lives in memory (the source is a .cjs module, so nothing is
 * written to disk): POST /film creates (500 "duplicate id" when the id exists), PUT /film/:id
 * replaces (404 when missing), GET /film?id=a&id=b, pages by _page/_limit, DELETE /film/:id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitForPort } from '../../src/temporal/devServer.js';

const BIN = resolve(import.meta.dirname, '../../node_modules/json-server/lib/cli/bin.js');
/** A json-server middleware refusing items whose `title` is "bogus" with 422, as a validating service would. */
export const REJECTING_MIDDLEWARE = resolve(import.meta.dirname, '../fixtures/json-server/reject-bogus.cjs');

export interface JsonServer {
  url: string;
  pid: number;
  /** Every item of a collection, in insertion order. */
  all(collection: string): Promise<Record<string, unknown>[]>;
  get(collection: string, id: string | number): Promise<Record<string, unknown> | undefined>;
  /** Creates an item directly, as the service's own users would. */
  create(collection: string, item: Record<string, unknown>): Promise<void>;
  /** Requests answered so far (only with `log: true`), from json-server's request log, in order. */
  /** Every request json-server logged; status 0 for one whose client went away before the answer. */
  requests(): { method: string; path: string; status: number }[];
  stop(): Promise<void>;
}

export interface JsonServerOptions {
  collections: string[];
  /** Added before every answer (json-server's --delay), to stretch a run so a crash lands mid-way. */
  delayMs?: number;
  middlewares?: string[];
  /** Keep json-server's request log (one line per request) for `requests()`. */
  log?: boolean;
}

export async function startJsonServer(opts: JsonServerOptions): Promise<JsonServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tracer-json-server-'));
  const dbFile = join(dir, 'db.cjs');
  writeFileSync(dbFile, `module.exports = () => (${JSON.stringify(Object.fromEntries(opts.collections.map((c) => [c, []])))});\n`);
  const port = await freePort();
  // The source goes first: --middlewares takes every argument after it.
  const args = [BIN, dbFile, '--host', '127.0.0.1', '--port', String(port), '--no-gzip'];
  if (!opts.log) args.push('--quiet');
  if (opts.delayMs) args.push('--delay', String(opts.delayMs));
  for (const m of opts.middlewares ?? []) args.push('--middlewares', m);
  // As a user would run it: json-server skips its request log when NODE_ENV is "test", as it is under vitest.
  const { NODE_ENV: _testEnv, ...env } = process.env;
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  try {
    await Promise.race([
      waitForPort('127.0.0.1', port, 20_000),
      exited.then(() => {
        throw new Error(`json-server exited before listening:\n${output}`);
      }),
    ]);
  } catch (e) {
    if (child.exitCode === null) process.kill(child.pid!, 'SIGKILL');
    throw e;
  }
  const url = `http://127.0.0.1:${port}`;
  const json = async (path: string, init?: RequestInit) => {
    const res = await fetch(url + path, { ...init, headers: { 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as unknown };
  };
  return {
    url,
    pid: child.pid!,
    async all(collection) {
      return (await json(`/${collection}`)).body as Record<string, unknown>[];
    },
    async get(collection, id) {
      const r = await json(`/${collection}/${encodeURIComponent(String(id))}`);
      return r.status === 404 ? undefined : (r.body as Record<string, unknown>);
    },
    async create(collection, item) {
      const r = await json(`/${collection}`, { method: 'POST', body: JSON.stringify(item) });
      if (r.status !== 201) throw new Error(`json-server answered ${r.status} to POST /${collection}`);
    },
    requests() {
      const out: { method: string; path: string; status: number }[] = [];
      // morgan's "dev" lines, coloured: "GET /film?id=1-1&id=1-2 200 3.1 ms - 2". A request whose
      // client went away before the answer (a SIGKILLed worker) is logged at once as "POST /film - - ms"
      // and may still be carried out after: status 0 here.
      for (const line of output.replace(/\x1b\[[0-9;]*m/g, '').split('\n')) {
        const m = /^(GET|POST|PUT|PATCH|DELETE|OPTIONS|HEAD) (\S+) (\d{3}|-) /.exec(line.trim());
        if (m) out.push({ method: m[1]!, path: m[2]!, status: m[3] === '-' ? 0 : Number(m[3]) });
      }
      return out;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
