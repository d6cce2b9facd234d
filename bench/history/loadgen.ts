/**
 * Load for the sample consumer apps (examples/orders-consumer) that keeps the history checker's
 * version contract: every key has one writer (a worker of one app) that writes v1, v2, … one at a
 * time, and every worker reads any key. Used by the history e2e test and meant for the lifecycle
 * demo (docs/history-checker.md, "Load").
 */

export interface LoadOptions {
  /** Base URLs of the running apps (`orders consumer … listening on <url>`). */
  apps: string[];
  keys: number[];
  /** Operations each worker performs; without it the load runs until `signal` aborts. */
  opsPerWorker?: number;
  signal?: AbortSignal;
  /** Concurrent workers per app; default 2. */
  workersPerApp?: number;
  /** Every n-th operation of a worker is a write (the first one included); default 3. */
  writeEvery?: number;
  /** Paces all workers together to at most this many operations per second. */
  ratePerSecond?: number;
  /** The last version written per key by an earlier load, so versions stay distinct. */
  versions?: Map<number, number>;
  /** Per HTTP request; default 10 s. */
  timeoutMs?: number;
  /** Called after every operation, with the running total. */
  onOperation?(done: number): void;
}

export interface LoadResult {
  /** 200: acknowledged. */
  writes: { ok: number; failed: number; unknown: number };
  reads: { ok: number; failed: number };
  elapsedMs: number;
  opsPerSecond: number;
  /** The last version written (or attempted) per key: pass it to the next load. */
  versions: Map<number, number>;
}

/** A small deterministic generator (mulberry32), so a load's reads are the same run to run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.opsPerWorker === undefined && options.signal === undefined) throw new Error('runLoad: give opsPerWorker or a signal');
  const perApp = options.workersPerApp ?? 2;
  const writeEvery = options.writeEvery ?? 3;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const slots = options.apps.length * perApp;
  const versions = new Map(options.versions ?? []);
  const result: LoadResult = { writes: { ok: 0, failed: 0, unknown: 0 }, reads: { ok: 0, failed: 0 }, elapsedMs: 0, opsPerSecond: 0, versions };
  const intervalMs = options.ratePerSecond !== undefined ? (1000 * slots) / options.ratePerSecond : 0;
  const started = performance.now();
  let done = 0;

  const worker = async (app: string, slot: number): Promise<void> => {
    const own = options.keys.filter((_, i) => i % slots === slot);
    const rnd = random(slot + 1);
    for (let n = 0; options.opsPerWorker === undefined || n < options.opsPerWorker; n++) {
      if (options.signal?.aborted) return;
      if (intervalMs > 0) {
        const wait = started + n * intervalMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const writing = n % writeEvery === 0 && own.length > 0;
      const id = writing ? own[Math.floor(n / writeEvery) % own.length]! : options.keys[Math.floor(rnd() * options.keys.length)]!;
      try {
        if (writing) {
          const v = (versions.get(id) ?? 0) + 1;
          // Taken even when the write fails: a version is never written twice.
          versions.set(id, v);
          const res = await fetch(`${app}/orders/${id}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ status: `v${v}`, total: id * 100 + v, email: `user${id}@example.com` }),
            signal: AbortSignal.timeout(timeoutMs),
          });
          await res.text();
          // 503: refused before it was applied (fenced, no routing yet); anything else may have been applied.
          if (res.status === 200) result.writes.ok++;
          else if (res.status === 503) result.writes.failed++;
          else result.writes.unknown++;
        } else {
          const res = await fetch(`${app}/orders/${id}`, { signal: AbortSignal.timeout(timeoutMs) });
          await res.text();
          if (res.status === 200 || res.status === 404) result.reads.ok++;
          else result.reads.failed++;
        }
      } catch {
        if (writing) result.writes.unknown++;
        else result.reads.failed++;
      }
      done++;
      options.onOperation?.(done);
    }
  };

  await Promise.all(options.apps.flatMap((app, a) => Array.from({ length: perApp }, (_, w) => worker(app, a * perApp + w))));
  result.elapsedMs = Math.round(performance.now() - started);
  result.opsPerSecond = Math.round((done / Math.max(1, result.elapsedMs)) * 1000 * 10) / 10;
  return result;
}

export interface RunningLoad {
  /** Stops issuing operations, waits for those in flight, and answers what the load saw. */
  stop(): Promise<LoadResult>;
}

/** `runLoad` in the background until `stop()`: load that runs through a lifecycle's phases. */
export function startLoad(options: Omit<LoadOptions, 'signal' | 'opsPerWorker'>): RunningLoad {
  const controller = new AbortController();
  const running = runLoad({ ...options, signal: controller.signal });
  return {
    stop() {
      controller.abort();
      return running;
    },
  };
}
