import type { Progress } from '@jobplane/contracts';
import { mulberry32, simulationMockHandler } from './simulation-mock.handler';
import { runHandler } from './run-handler.spec-helper';

function run(payload: unknown, signal = new AbortController().signal) {
  const updates: Progress[] = [];
  const result = runHandler(simulationMockHandler, payload, { signal, progress: (p) => updates.push(p) });
  return { result, updates };
}

describe('simulation.mock', () => {
  it('is deterministic for a seed and differs between seeds', async () => {
    const a = await run({ steps: 20, seed: 42, stepMs: 0 }).result;
    const b = await run({ steps: 20, seed: 42, stepMs: 0 }).result;
    const c = await run({ steps: 20, seed: 43, stepMs: 0 }).result;
    expect(b).toEqual(a);
    expect(c.series).not.toEqual(a.series);
    expect(a.series).toHaveLength(20);
    expect(a.samples).toBe(2000);
    const s = a.summary;
    expect(s.min).toBeLessThan(s.mean);
    expect(s.max).toBeGreaterThan(s.mean);
    expect(s.stddev).toBeGreaterThan(0);
    expect(s.finalLevel).toBe(a.series[19].level);
    for (const step of a.series) expect(step.min).toBeLessThanOrEqual(step.mean);
  });

  it('reports progress once per step, in order, ending at 100%', async () => {
    const { result, updates } = run({ steps: 5, seed: 1, stepMs: 1 });
    await result;
    expect(updates.map((u) => u.percent)).toEqual([20, 40, 60, 80, 100]);
    expect(updates.map((u) => u.step)).toEqual(['1/5', '2/5', '3/5', '4/5', '5/5']);
    expect(updates[4]!.message).toMatch(/^step 5 of 5: level /);
  });

  it('stops at the next step when cancelled', async () => {
    const ac = new AbortController();
    const { result, updates } = run({ steps: 1000, seed: 1, stepMs: 20 }, ac.signal);
    setTimeout(() => ac.abort(new Error('cancelled')), 70);
    await expect(result).rejects.toThrow('cancelled');
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.length).toBeLessThan(10);
  });

  it('refuses a bad payload before running', () => {
    expect(() => run({ steps: 0 })).toThrow(/invalid payload for job type "simulation.mock".*steps/);
  });

  it('mulberry32 yields the same stream for the same seed, in [0, 1)', () => {
    const r1 = mulberry32(7);
    const r2 = mulberry32(7);
    const xs = Array.from({ length: 1000 }, () => r1());
    expect(Array.from({ length: 1000 }, () => r2())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(new Set(xs).size).toBe(1000);
  });
});
