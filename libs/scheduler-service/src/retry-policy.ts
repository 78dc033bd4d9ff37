import type { Backoff } from '@jobplane/contracts';

export const DEFAULT_BACKOFF: Required<Backoff> = { type: 'exponential', baseMs: 1000, maxMs: 60_000 };

/**
 * Delay before the retry that follows `attempt` (1-based). Exponential backoff uses full jitter
 * (uniform in [0, min(max, base * 2^(attempt-1))]) so retries of many jobs do not stampede.
 */
export function retryDelayMs(
  attempt: number,
  backoff: Backoff | null | undefined,
  random = Math.random,
): number {
  const b = { ...DEFAULT_BACKOFF, ...(backoff ?? {}) };
  if (b.type === 'fixed') return b.baseMs;
  const cap = Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}
