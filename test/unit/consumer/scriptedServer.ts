/**
 * A real HTTP server whose answers a test scripts per request, and which records what happened
 * (received, answered, aborted by the client) in a shared event list, so tests assert on order.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Scripted {
  url: string;
  /** Requests received so far. */
  received: number;
  close(): Promise<void>;
}

export type Handler = (n: number, req: http.IncomingMessage) => Promise<{ status: number; body?: unknown } | 'hang'>;

export async function scriptedServer(label: string, events: string[], handler: Handler): Promise<Scripted> {
  const state = { received: 0 };
  const server = http.createServer((req, res) => {
    const n = state.received++;
    events.push(`${label}:received`);
    req.on('close', () => {
      if (!res.writableEnded) events.push(`${label}:aborted`);
    });
    void handler(n, req).then((answer) => {
      if (answer === 'hang' || res.destroyed) return;
      const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(text);
      events.push(`${label}:responded`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get received() {
      return state.received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** GET a JSON document; throws on a non-2xx answer (as an application's client would). */
export async function getJson(url: string, signal?: AbortSignal): Promise<unknown> {
  const res = await fetch(url, signal ? { signal } : {});
  const text = await res.text();
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${text}`);
  return JSON.parse(text) as unknown;
}
