/** Failures of a target request, classified so the sweep knows to retry, pause, or log and go on. */
import { EnvironmentError } from '../errors.js';

/** Network error, timeout, 408, 429 or 5xx: retry with backoff (Temporal's retry policy), honouring `retryAfterMs`. */
export class TargetRetryableError extends EnvironmentError {
  constructor(
    readonly service: string,
    readonly status: number | undefined,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message, { hint: `The service "${service}" is failing or throttling; Tracer retries by itself.` });
  }
}

/** 401/403: the credentials are wrong or expired. The whole sweep pauses; no row is logged as failed. */
export class TargetAuthError extends EnvironmentError {
  constructor(
    readonly service: string,
    readonly status: number,
  ) {
    super(`target "${service}" refused the credentials (HTTP ${status})`, {
      hint: `Check targets.${service}.headers in the plan and the environment variables they use, then resume with \`migrate backfill --entity <name> --resume\`.`,
    });
  }
}

/** A whole request refused for a reason retrying cannot mend (400 on the request itself, 404 on the endpoint). */
export class TargetPermanentError extends EnvironmentError {
  constructor(
    readonly service: string,
    readonly status: number,
    message: string,
  ) {
    super(message, { hint: `Check targets.${service} and the entity's target paths in the plan.` });
  }
}

export class TargetUnsupportedError extends EnvironmentError {}
