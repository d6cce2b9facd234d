import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { withFailureMapping } from '../../../src/activities/failureMapping.js';
import { secrets } from '../../../src/secrets.js';
import { TargetPermanentError, TargetRetryableError } from '../../../src/service/errors.js';

async function failureOf(thrown: Error): Promise<ApplicationFailure> {
  const { act } = withFailureMapping({
    act: async () => {
      throw thrown;
    },
  });
  const err = await act().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('activity failure mapping', () => {
  it('Given an activity that gets a permanent refusal from the service, when it fails, then the failure is non-retryable and says what was refused and what to check, without secrets', async () => {
    secrets.add('tok-PERMANENT-42');
    const f = await failureOf(new TargetPermanentError('fulfillment', 404, 'target "fulfillment" refused POST /v1/orders:batchUpsert?key=tok-PERMANENT-42 with HTTP 404'));
    expect(f.nonRetryable).toBe(true);
    expect(f.type).toBe('TargetPermanentError');
    expect(f.message).toBe(
      'target "fulfillment" refused POST /v1/orders:batchUpsert?key=*** with HTTP 404 — Check targets.fulfillment and the entity\'s target paths in the plan.',
    );
  });

  it('Given an activity that meets a throttling service, when it fails, then the failure stays retryable and carries the Retry-After delay', async () => {
    const f = await failureOf(new TargetRetryableError('fulfillment', 429, 'target "fulfillment" throttled', 2_000));
    expect(f.nonRetryable).toBe(false);
    expect(f.type).toBe('TargetRetryableError');
    expect(f.nextRetryDelay).toBe(2_000);
  });
});
