import { retryDelayMs } from './retry-policy';

describe('retry backoff', () => {
  it('uses full jitter under an exponential cap', () => {
    const backoff = { type: 'exponential' as const, baseMs: 100, maxMs: 1_000 };
    expect(retryDelayMs(1, backoff, () => 0.999)).toBe(99);
    expect(retryDelayMs(3, backoff, () => 0.999)).toBe(399);
    expect(retryDelayMs(10, backoff, () => 0.999)).toBe(999); // capped at maxMs
    expect(retryDelayMs(5, backoff, () => 0)).toBe(0);
  });

  it('stays within bounds for random draws', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const d = retryDelayMs(attempt, { type: 'exponential', baseMs: 50, maxMs: 2_000 });
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(2_000, 50 * 2 ** (attempt - 1)));
    }
  });

  it('waits a fixed delay when asked, and defaults to 1 s exponential', () => {
    expect(retryDelayMs(4, { type: 'fixed', baseMs: 250 })).toBe(250);
    expect(retryDelayMs(1, null, () => 0.5)).toBe(500);
  });
});
