import type { SubmitJobRequest } from '@jobplane/contracts';
import type { Report } from '../checker';
import { PROBE_TYPE, type ProbePayload } from '../probe';

export interface ScenarioOptions {
  /** The CI-sized run (seconds) instead of the issue-sized one (minutes). */
  fast: boolean;
  /** Multiplies job counts (full runs only). */
  scale: number;
  rng: () => number;
}

export interface ScenarioResult {
  report: Report;
  /** Scenario-specific facts (fault timing, evidence that the fault really bit). */
  details: Record<string, unknown>;
  violations: string[];
}

export interface Scenario {
  name: string;
  /** Part of `pnpm chaos fast` (CI). */
  fast: boolean;
  run(o: ScenarioOptions): Promise<ScenarioResult>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A seeded PRNG (mulberry32): the same seed plans the same load. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A healthy probe of `minMs`..`maxMs`, retried up to `maxAttempts` (crashes spend attempts). */
export function okProbe(
  rng: () => number,
  minMs: number,
  maxMs: number,
  hardMs: number,
  maxAttempts = 5,
): SubmitJobRequest {
  const payload: ProbePayload = { ms: Math.round(minMs + rng() * (maxMs - minMs)), mode: 'ok' };
  return {
    type: PROBE_TYPE,
    payload,
    maxAttempts,
    backoff: { type: 'fixed', baseMs: 100 },
    timeouts: { hardMs },
  };
}

/**
 * What holds under any single fault: nothing lost, nothing stuck, only legal transitions, a
 * complete audit trail, every job in its planned state, and duplicates within `dupBound`.
 */
export function coreViolations(r: Report, dupBound: number): string[] {
  const v: string[] = [];
  if (r.lost.length) v.push(`lost ${r.lost.length}: ${r.lost.slice(0, 5).join(',')}`);
  if (r.stuck.length) v.push(`stuck ${r.stuck.length}: ${r.stuck.slice(0, 5).join(',')}`);
  if (r.illegalTransitions.length)
    v.push(
      `illegal transitions ${r.illegalTransitions.length}: ${JSON.stringify(r.illegalTransitions.slice(0, 3))}`,
    );
  if (r.auditMismatch) v.push(`audit mismatch ${r.auditMismatch}`);
  if (r.okFrac !== 1) v.push(`ok_frac ${r.okFrac}: ${JSON.stringify(r.unexpected.slice(0, 3))}`);
  if (r.dupExec > dupBound) v.push(`dup_exec ${r.dupExec} over its bound ${dupBound}`);
  if (r.missingRuns) v.push(`${r.missingRuns} jobs ended before running their planned attempts`);
  if (r.submits.failed) v.push(`${r.submits.failed} submits refused`);
  if (r.jobs !== r.submits.acked + r.submits.unknownCommitted) {
    v.push(`${r.jobs} jobs in the registry for ${r.submits.acked + r.submits.unknownCommitted} acknowledged`);
  }
  return v;
}
