/** Failures reading the legacy database, named so operators see which system holds a sweep up. */
import { EnvironmentError, MigrateError } from '../errors.js';

/** The legacy database could not be read (down, unreachable, connection dropped). Retried by Temporal. */
export class SourceUnavailableError extends EnvironmentError {
  constructor(
    readonly db: string,
    message: string,
  ) {
    super(`source "${db}" could not be read: ${message}`, { hint: `Tracer retries by itself; check that sources.${db} is up and reachable from the worker.` });
  }
}

/** Wraps what a source read threw; typed errors (already saying what to do) pass through. */
export function sourceReadError(db: string, e: unknown): unknown {
  if (e instanceof MigrateError) return e;
  const err = e as Error & { code?: string };
  const message = err?.message || (err?.code ?? String(e));
  return new SourceUnavailableError(db, err?.code && !message.includes(err.code) ? `${message} (${err.code})` : message);
}
