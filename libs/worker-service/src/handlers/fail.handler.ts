import { HandlerDefinition, NonRetryableError, RetryableError } from '../handler';

/** Always fails, for testing error paths: `{message?, code?, retryable?}` (not retryable by default). */
export const failHandler: HandlerDefinition<{ message?: string; code?: string; retryable?: boolean }> = {
  type: 'fail',
  handle: async ({ payload, attempt }) => {
    const message = payload?.message ?? 'failed on purpose';
    const code = payload?.code ?? 'handler_failed';
    const details = { attempt };
    throw payload?.retryable
      ? new RetryableError(message, code, details)
      : new NonRetryableError(message, code, details);
  },
};
