import { HandlerDefinition, RateLimitedError, RetryableError } from '../handler';

/**
 * Fails its first `failTimes` attempts (a retryable error, or RateLimited with `retryAfterMs`),
 * then succeeds with the attempt number: for testing retries and rate-limit pauses.
 */
export const debugFlakyHandler: HandlerDefinition<{
  failTimes?: number;
  error?: 'retryable' | 'rate_limited';
  retryAfterMs?: number;
}> = {
  type: 'debug.flaky',
  handle: async ({ payload, attempt }) => {
    if (attempt <= (payload?.failTimes ?? 1)) {
      if (payload?.error === 'rate_limited') throw new RateLimitedError(payload.retryAfterMs ?? 1_000);
      throw new RetryableError(`flaky failure on attempt ${attempt}`);
    }
    return { attempt, succeededAt: new Date().toISOString() };
  },
};
