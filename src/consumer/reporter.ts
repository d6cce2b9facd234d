/**
 * Sends reports to the orchestrator: over HTTP to `migrate consumer ingest` (the one documented
 * path; it accepts reports and nothing else), or through a function the application supplies.
 * Unsent reports are kept in order and re-sent with their original `seq`, which the orchestrator
 * uses to drop a report it already has.
 */
import type { ConsumerReport } from './report.js';

export type ReportTransport = (report: ConsumerReport) => Promise<void>;

/** Keeps at most this many unsent reports; older ones are dropped (and the drop is counted). */
const MAX_QUEUE = 1000;

export function httpTransport(url: string, token: string | undefined, timeoutMs: number): ReportTransport {
  return async (report) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(report), signal: AbortSignal.timeout(timeoutMs) });
    // Drain the body so the connection can be reused.
    const body = await res.text();
    if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${body.slice(0, 200)}`);
  };
}

export class ReportQueue {
  private queue: ConsumerReport[] = [];
  private sending: Promise<void> | undefined;
  dropped = 0;
  lastError: Error | undefined;

  constructor(
    private readonly transport: ReportTransport,
    private readonly onError: (e: Error) => void,
  ) {}

  push(report: ConsumerReport): void {
    this.queue.push(report);
    if (this.queue.length > MAX_QUEUE) {
      this.queue.shift();
      this.dropped++;
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Sends queued reports in order; stops at the first failure (kept for the next call). */
  send(): Promise<void> {
    this.sending ??= (async () => {
      try {
        while (this.queue.length > 0) {
          await this.transport(this.queue[0]!);
          this.queue.shift();
          this.lastError = undefined;
        }
      } catch (e) {
        this.lastError = e instanceof Error ? e : new Error(String(e));
        this.onError(this.lastError);
      } finally {
        this.sending = undefined;
      }
    })();
    return this.sending;
  }
}
