import { ProgressThrottle } from './event-publisher';

describe('ProgressThrottle', () => {
  it('sends in order, at most one per interval, and always the latest', async () => {
    const sent: number[] = [];
    const times: number[] = [];
    const throttle = new ProgressThrottle<number>(
      async (v) => {
        sent.push(v);
        times.push(Date.now());
      },
      100,
      (err) => {
        throw err;
      },
    );
    const t0 = Date.now();
    for (let i = 1; i <= 100; i++) {
      throttle.push(i);
      await new Promise((r) => setTimeout(r, 5));
    }
    await throttle.flush();
    const elapsed = Date.now() - t0;
    expect(sent[0]).toBe(1); // the first update goes out at once
    expect(sent.at(-1)).toBe(100); // the latest is never lost
    expect([...sent].sort((a, b) => a - b)).toEqual(sent);
    expect(sent.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 2);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < times.length - 1; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(95);
  });

  it('sends nothing on flush when nothing is pending', async () => {
    const sent: string[] = [];
    const throttle = new ProgressThrottle<string>(
      async (v) => void sent.push(v),
      1_000,
      () => undefined,
    );
    throttle.push('a');
    await throttle.flush();
    await throttle.flush();
    expect(sent).toEqual(['a']);
  });
});
