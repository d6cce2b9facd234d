/**
 * A source row that cannot become a target item. It is a per-row permanent failure, not a user
 * error of the whole run: the backfill writes it to the failure log and goes on with the next row.
 */
import type { KeyTuple } from '../sources/types.js';

export class MappingError extends Error {
  /** Always true: retrying the same row gives the same failure until the row or the plan changes. */
  readonly permanent = true as const;

  /**
   * `field` is the target field being mapped (undefined when the transform module failed);
   * `rowKey` the source key of the row. The message never contains a sensitive field's value.
   */
  constructor(
    message: string,
    readonly field: string | undefined,
    readonly rowKey: KeyTuple,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MappingError';
  }
}
