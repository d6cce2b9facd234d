/**
 * How activities fail: known errors become Temporal failures with the right retry behaviour and
 * redacted messages (failures are stored in workflow history, which must never hold a secret).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { TargetAuthError, TargetPermanentError, TargetRetryableError } from '../service/errors.js';
import { MigrateError } from '../errors.js';
import { secrets } from '../secrets.js';
import type { PlanResources } from '../resources/planResources.js';

/**
 * Turns known errors into Temporal failures: auth pauses (non-retryable), throttling honours
 * Retry-After, permanent refusals fail at once (non-retryable) with what to check.
 */
export function toFailure(e: unknown): unknown {
  if (e instanceof TargetAuthError) {
    return ApplicationFailure.create({ type: 'TargetAuthError', nonRetryable: true, message: secrets.redact(`${e.message}. ${e.hint ?? ''}`.trim()) });
  }
  if (e instanceof TargetRetryableError) {
    return ApplicationFailure.create({
      type: 'TargetRetryableError',
      message: secrets.redact(e.message),
      nextRetryDelay: e.retryAfterMs !== undefined ? Math.max(e.retryAfterMs, 100) : undefined,
    });
  }
  if (e instanceof TargetPermanentError) {
    // A 400 on the request itself, a 404 on the endpoint, an answer of the wrong shape: the same
    // request gets the same answer, so retrying (unbounded for chunks) would spin forever.
    return ApplicationFailure.create({
      type: 'TargetPermanentError',
      nonRetryable: true,
      message: secrets.redact(`${e.message}${e.hint ? ` — ${e.hint}` : ''}`),
    });
  }
  if (e instanceof MigrateError) {
    return ApplicationFailure.create({ type: e.name, message: secrets.redact(`${e.message}${e.hint ? ` — ${e.hint}` : ''}`) });
  }
  if (e instanceof Error) {
    const clean = new Error(secrets.redact(e.message));
    clean.stack = secrets.redact(e.stack ?? '');
    return clean;
  }
  return e;
}


/** Refuses (for good) work of another plan: a worker only knows its own plan's connections. */
export function assertWorkerPlan(res: Pick<PlanResources, 'plan' | 'planFile'>, plan: string): void {
  if (plan !== res.plan.name) {
    throw ApplicationFailure.create({
      type: 'PlanMismatchError',
      nonRetryable: true,
      message: `this worker runs plan "${res.plan.name}" (${res.planFile}), the workflow belongs to plan "${plan}"; start a worker with --plan for it`,
    });
  }
}

/** Wraps every activity so whatever it throws leaves as a classified, redacted failure. */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        throw toFailure(e);
      }
    };
  }
  return wrapped as T;
}
