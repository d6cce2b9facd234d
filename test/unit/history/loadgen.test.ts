/**
 * runLoad against two fake apps (in-process HTTP servers that answer like the sample app): the
 * version contract the checker relies on — one writer per key, versions 1, 2, … never reused —
 * and what it counts.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { runLoad, startLoad } from '../../../bench/history/loadgen.js';
import { listen, type Listening } from '../../../src/ops/listen.js';

interface Seen {
  app: number;
  method: string;
  id: number;
  status?: string;
}

const servers: Listening[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A fake app that records each request and answers `answer(request)` (default 200). */
async function fakeApp(app: number, seen: Seen[], answer: (s: Seen) => number = () => 200): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = Number(/^\/orders\/(\d+)$/.exec(req.url ?? '')![1]);
      const s: Seen = { app, method: req.method!, id, ...(chunks.length > 0 ? { status: (JSON.parse(Buffer.concat(chunks).toString()) as { status: string }).status } : {}) };
      seen.push(s);
      const body = JSON.stringify(req.method === 'PUT' ? { ok: true } : { id, status: 'paid', total: 0, email: 'x' });
      res.writeHead(answer(s), { 'content-type': 'application/json' }).end(body);
    });
  });
  const l = await listen(server, 0, '127.0.0.1');
  servers.push(l);
  return l.url;
}

describe('runLoad', () => {
  it('given two apps with two workers each, then every key has one writer writing v1, v2, … in order, and every third operation is a write', async () => {
    const seen: Seen[] = [];
    const apps = [await fakeApp(0, seen), await fakeApp(1, seen)];
    const result = await runLoad({ apps, keys: [1, 2, 3, 4, 5, 6, 7, 8], opsPerWorker: 12 });

    expect(result.writes).toEqual({ ok: 16, failed: 0, unknown: 0 });
    expect(result.reads).toEqual({ ok: 32, failed: 0 });
    expect(result.opsPerSecond).toBeGreaterThan(0);
    const puts = seen.filter((s) => s.method === 'PUT');
    // 4 workers (slots 0..3); key k (index k-1) belongs to slot (k-1) % 4, i.e. app floor(slot / 2).
    for (const id of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const writes = puts.filter((p) => p.id === id);
      expect(writes.map((w) => w.status)).toEqual(['v1', 'v2']);
      const writer = Math.floor(((id - 1) % 4) / 2);
      expect(writes.map((w) => w.app)).toEqual([writer, writer]);
    }
    expect(Object.fromEntries(result.versions)).toEqual({ 1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2, 8: 2 });
  });

  it('given writes refused with 503 and others failing with 500, then they count as failed and unknown and their versions are never written again', async () => {
    const seen: Seen[] = [];
    let puts = 0;
    const app = await fakeApp(0, seen, (s) => (s.method !== 'PUT' ? 200 : ++puts === 1 ? 503 : puts === 2 ? 500 : 200));
    const result = await runLoad({ apps: [app], keys: [9], workersPerApp: 1, writeEvery: 1, opsPerWorker: 3, versions: new Map([[9, 4]]) });

    expect(result.writes).toEqual({ ok: 1, failed: 1, unknown: 1 });
    expect(seen.map((s) => s.status)).toEqual(['v5', 'v6', 'v7']);
    expect(result.versions.get(9)).toBe(7);
  });

  it('given a load started in the background, when it is stopped, then it ends after the operations in flight and answers exactly what the apps received', async () => {
    const seen: Seen[] = [];
    const app = await fakeApp(0, seen);
    const load = startLoad({ apps: [app], keys: [1, 2], workersPerApp: 2 });
    while (seen.length < 10) await new Promise((r) => setTimeout(r, 5));
    const result = await load.stop();
    const received = seen.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.length).toBe(received);
    expect(result.writes.ok + result.reads.ok).toBe(received);
    expect(result.writes.ok).toBe(seen.filter((s) => s.method === 'PUT').length);
  });
});
