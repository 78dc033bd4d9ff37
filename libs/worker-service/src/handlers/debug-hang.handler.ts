import type { HandlerDefinition } from '../handler';

/**
 * Runs `seconds` and ignores its signal: a misbehaving handler, for testing that hard time limits
 * and cancels still end the attempt (the worker abandons it after the grace period).
 */
export const debugHangHandler: HandlerDefinition<{ seconds?: number }> = {
  type: 'debug.hang',
  handle: async ({ payload }) => {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(Number(payload?.seconds ?? 3600), 86_400) * 1000),
    );
    return { hung: true };
  },
};
