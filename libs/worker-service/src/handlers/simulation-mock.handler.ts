import { z } from 'zod';
import type { HandlerDefinition } from '../handler';

const payloadSchema = z.strictObject({
  steps: z.number().int().min(1).max(10_000).default(10),
  /** Same seed, same result document (timings aside). */
  seed: z.number().int().min(0).max(0xffff_ffff).default(1),
  /** Simulated work per step. */
  stepMs: z.number().int().min(0).max(60_000).default(100),
  /** Random draws per step (the "particles" of the mock Monte Carlo run). */
  samplesPerStep: z.number().int().min(1).max(10_000).default(100),
});
export type SimulationMockPayload = z.output<typeof payloadSchema>;

/** mulberry32: a tiny, fast 32-bit PRNG; good enough for mock data, and reproducible from its seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface SimulationStep {
  step: number;
  mean: number;
  min: number;
  max: number;
  /** Random walk position after this step (the "system state"). */
  level: number;
}

/**
 * A mock Monte Carlo run: each step draws `samplesPerStep` normal samples around a drifting level,
 * reports progress, and yields between steps so a cancel stops it at the next step boundary. The
 * result looks like a real simulation's (per-step series, summary statistics) and is a pure
 * function of the payload.
 */
export const simulationMockHandler: HandlerDefinition<SimulationMockPayload> = {
  type: 'simulation.mock',
  payload: payloadSchema,
  handle: async ({ payload, signal, progress }) => {
    const { steps, seed, stepMs, samplesPerStep } = payload;
    const random = mulberry32(seed);
    const normal = () => {
      // Box-Muller; 1 - u keeps log() away from 0.
      const u = 1 - random();
      const v = random();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    };
    const series: SimulationStep[] = [];
    let level = 100;
    let sum = 0;
    let sumSq = 0;
    for (let i = 1; i <= steps; i++) {
      signal.throwIfAborted();
      if (stepMs > 0) await delay(stepMs, signal);
      level += normal();
      let min = Infinity;
      let max = -Infinity;
      let stepSum = 0;
      for (let s = 0; s < samplesPerStep; s++) {
        const x = level + normal() * 5;
        stepSum += x;
        sum += x;
        sumSq += x * x;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      series.push({
        step: i,
        mean: round(stepSum / samplesPerStep),
        min: round(min),
        max: round(max),
        level: round(level),
      });
      progress({
        percent: round((i / steps) * 100),
        step: `${i}/${steps}`,
        message: `step ${i} of ${steps}: level ${round(level)}`,
      });
    }
    const n = steps * samplesPerStep;
    const mean = sum / n;
    return {
      seed,
      steps,
      samples: n,
      summary: {
        mean: round(mean),
        stddev: round(Math.sqrt(Math.max(0, sumSq / n - mean * mean))),
        min: Math.min(...series.map((s) => s.min)),
        max: Math.max(...series.map((s) => s.max)),
        finalLevel: round(level),
      },
      series,
    };
  },
};

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** Waits `ms`, or rejects with the abort reason as soon as `signal` fires. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
