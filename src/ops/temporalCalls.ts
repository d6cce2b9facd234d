/**
 * Calls to Temporal with a deadline, and errors that say it was Temporal that did not answer, so
 * `status` can tell "unknown" from "pending" and never hangs on a server that is down.
 */
import { isGrpcServiceError, QueryNotRegisteredError, WorkflowNotFoundError, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { EnvironmentError } from '../errors.js';
import { secrets } from '../secrets.js';
import type { Session } from './session.js';

/** How long one status read may wait for Temporal. */
export const TEMPORAL_DEADLINE_MS = 5_000;

// gRPC status codes: the server is down, restarting or unreachable.
const UNREACHABLE_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

function grpcCode(e: unknown): number | undefined {
  for (let cur = e as { code?: unknown; cause?: unknown } | undefined, i = 0; cur && i < 5; cur = cur.cause as typeof cur, i++) {
    if (isGrpcServiceError(cur)) return cur.code;
  }
  return undefined;
}

/** True when the error means Temporal itself did not answer (down, restarting, too slow). */
export function isTemporalUnreachable(e: unknown): boolean {
  const code = grpcCode(e);
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/** The error an operator sees when Temporal does not answer: which server, and what to check. */
export function temporalUnreachableError(address: string, e: unknown): EnvironmentError {
  const why = grpcCode(e) === 4 ? `no answer within ${TEMPORAL_DEADLINE_MS / 1000} s` : secrets.redact((e as Error)?.message ?? String(e));
  return new EnvironmentError(`Temporal at ${address} is not answering (${why}); the state shown is unknown, not pending`, {
    hint: 'Check that the Temporal server is up (TEMPORAL_ADDRESS or temporal.address in the plan); workflows resume by themselves once it is back.',
  });
}

/** Runs one Temporal call with a deadline; unreachable-server errors become an EnvironmentError naming the server. */
export async function temporalCall<T>(session: Session, fn: () => Promise<T>, ms = TEMPORAL_DEADLINE_MS): Promise<T> {
  try {
    return await session.temporal.connection.withDeadline(Date.now() + ms, fn);
  } catch (e) {
    if (isTemporalUnreachable(e)) throw temporalUnreachableError(session.temporal.settings.address, e);
    throw e;
  }
}

/** The workflow's description within the deadline, or undefined when it was never started. */
export async function describeIfStarted(session: Session, handle: Pick<WorkflowHandle, 'describe'>): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await temporalCall(session, () => handle.describe());
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return undefined;
    throw e;
  }
}

/**
 * A query of a running workflow, asked again briefly (25 × 200 ms) while its handler is not
 * registered: a workflow just started has none until a worker ran its first task.
 */
export async function queryWhenReady<T>(session: Session, query: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await temporalCall(session, query);
    } catch (e) {
      if (!(e instanceof QueryNotRegisteredError) || attempt >= 25) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
