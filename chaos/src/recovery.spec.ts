import { recoverySeconds } from './recovery';

/** One completion every `everyMs` from `from` to `to`. */
const steady = (from: number, to: number, everyMs: number) =>
  Array.from({ length: Math.floor((to - from) / everyMs) }, (_, i) => from + i * everyMs);

describe('recoverySeconds', () => {
  it('is the time from the fault until throughput is back to 90% of the rate before it', () => {
    const done = [...steady(0, 20_000, 100), ...steady(28_000, 60_000, 100)]; // 8 s outage
    expect(recoverySeconds(done, 20_000)).toBeGreaterThanOrEqual(7.5);
    expect(recoverySeconds(done, 20_000)).toBeLessThanOrEqual(8.5);
  });

  it('is 0 when the fault did not dent throughput, and null when it never recovered', () => {
    const done = steady(0, 60_000, 100);
    expect(recoverySeconds(done, 20_000)).toBe(0);
    expect(recoverySeconds(steady(0, 20_000, 100), 20_000)).toBeNull();
  });
});
