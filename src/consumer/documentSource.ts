/**
 * Where a consumer gets its routing document: an HTTP(S) URL or a file, polled at a bounded
 * interval. When the source cannot be read the last good document keeps serving and the
 * `onStale` hook says so (once per outage, with the error); `onRecovered` says when it is back.
 * A document whose epoch is lower than the one applied is ignored (a stale cache or replica).
 */
import { readFile } from 'node:fs/promises';
import { parseRoutingDocument, type RoutingDocument } from './routing.js';

export const MIN_POLL_MS = 100;
export const MAX_POLL_MS = 300_000;

export interface DocumentSourceHooks {
  /** A new epoch was applied. */
  onEpoch?(epoch: number, previous: number | undefined): void;
  /** The source failed; `epoch` is the document still serving (undefined before the first one). */
  onStale?(info: { error: Error; epoch: number | undefined; since: Date }): void;
  /** The source answers again after an outage. */
  onRecovered?(info: { epoch: number; staleForMs: number }): void;
}

export interface DocumentSource {
  current(): RoutingDocument | undefined;
  /** Resolves with the first document, or rejects with the first error if none was ever read. */
  first(): Promise<RoutingDocument>;
  /** Reads the source now (also what each poll does). */
  refresh(): Promise<void>;
  /** Is the document being served older than the last failed read? */
  stale(): boolean;
  close(): void;
}

/** Clamps a poll interval into [MIN_POLL_MS, MAX_POLL_MS]. */
export function boundedInterval(ms: number | undefined): number {
  const v = ms ?? 5000;
  if (!Number.isFinite(v)) return 5000;
  return Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, Math.round(v)));
}

async function readSource(location: string, timeoutMs: number): Promise<string> {
  if (/^https?:\/\//i.test(location)) {
    const res = await fetch(location, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`GET ${location} answered ${res.status}`);
    return res.text();
  }
  return readFile(location.startsWith('file://') ? new URL(location) : location, 'utf8');
}

export function createDocumentSource(location: string, entity: string, options: { pollMs?: number; timeoutMs?: number } & DocumentSourceHooks): DocumentSource {
  const pollMs = boundedInterval(options.pollMs);
  const timeoutMs = options.timeoutMs ?? Math.min(10_000, Math.max(1000, pollMs));
  let doc: RoutingDocument | undefined;
  let staleSince: Date | undefined;
  let firstError: Error | undefined;
  let closed = false;
  let inflight: Promise<void> | undefined;
  const waiters: { resolve(d: RoutingDocument): void; reject(e: Error): void }[] = [];

  const once = async (): Promise<void> => {
    try {
      const next = parseRoutingDocument(await readSource(location, timeoutMs), entity, location);
      if (doc === undefined || next.epoch > doc.epoch) {
        const previous = doc?.epoch;
        doc = next;
        options.onEpoch?.(next.epoch, previous);
      } else if (next.epoch === doc.epoch && next.text !== doc.text) {
        // Same epoch, different content: the publisher broke the contract; keep what was acknowledged.
        throw new Error(`${location}: epoch ${next.epoch} changed content without a new epoch; keeping the applied one`);
      }
      if (staleSince !== undefined) {
        options.onRecovered?.({ epoch: doc.epoch, staleForMs: Date.now() - staleSince.getTime() });
        staleSince = undefined;
      }
      for (const w of waiters.splice(0)) w.resolve(doc);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      if (staleSince === undefined) {
        staleSince = new Date();
        options.onStale?.({ error, epoch: doc?.epoch, since: staleSince });
      }
      if (doc === undefined) {
        firstError = error;
        for (const w of waiters.splice(0)) w.reject(error);
      }
    }
  };
  const refresh = (): Promise<void> => {
    inflight ??= once().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };
  const timer = setInterval(() => {
    if (!closed) void refresh();
  }, pollMs);
  timer.unref();
  void refresh();

  return {
    current: () => doc,
    first: () =>
      doc !== undefined
        ? Promise.resolve(doc)
        : firstError !== undefined && inflight === undefined
          ? Promise.reject(firstError)
          : new Promise((resolve, reject) => waiters.push({ resolve, reject })),
    refresh,
    stale: () => staleSince !== undefined,
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}
