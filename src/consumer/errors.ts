/**
 * Errors the consumer library throws at the application. Each says what happened and what to do;
 * `retryable` tells the caller whether the same call may succeed later (fenced writes, a routing
 * source not yet reached) or never will (a bad option).
 */
export class ConsumerError extends Error {
  readonly retryable: boolean;
  readonly hint: string | undefined;

  constructor(message: string, options: { retryable: boolean; hint?: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable;
    this.hint = options.hint;
  }
}

/** Writes are fenced by the cutover (the write switch is in progress); retry after a short wait. */
export class WriteFencedError extends ConsumerError {
  constructor(entity: string, epoch: number) {
    super(`writes to ${entity} are fenced by the cutover (routing epoch ${epoch})`, {
      retryable: true,
      hint: 'Retry the write in a few seconds; the fence lasts while the write switch drains and journals.',
    });
  }
}

/** No routing document has been loaded yet, so the library cannot know which side to use. */
export class RoutingUnavailableError extends ConsumerError {}

/** A bad option or document: a programming or configuration error, not worth retrying. */
export class ConsumerConfigError extends ConsumerError {
  constructor(message: string, hint?: string) {
    super(message, { retryable: false, ...(hint !== undefined ? { hint } : {}) });
  }
}
