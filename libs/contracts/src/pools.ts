import { z } from 'zod';
import { poolSchema } from './job-spec';

/** Why a queued job is not running yet. Values are wire format — never rename. */
export const WAIT_REASONS = [
  'delayed_until',
  'retry_backoff',
  'pool_paused',
  'rate_limited',
  'pool_at_capacity',
  'concurrency_key_full',
  'tenant_quota',
  /** Dispatched to the pool's work queue; waiting for a worker to take it. */
  'awaiting_worker',
  /** Next in line: it will be dispatched as soon as the conductor gets to it. */
  'ready',
] as const;
export type WaitReason = (typeof WAIT_REASONS)[number];

/** `10/s`, `60/min`, `1000/h`, or `{max, perMs}`. */
export const RATE_PATTERN = /^([1-9][0-9]*)\/(ms|s|sec|m|min|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

export function parseRate(spec: string): { max: number; perMs: number } | null {
  const m = RATE_PATTERN.exec(spec.trim());
  return m ? { max: Number(m[1]), perMs: UNIT_MS[m[2]!]! } : null;
}

export const rateSchema = z.strictObject({
  max: z.number().int().min(1).max(1_000_000),
  perMs: z.number().int().min(1).max(86_400_000),
});

export const patchPoolRequestSchema = z.strictObject({
  capacity: z.number().int().min(0).max(100_000).optional(),
  /** null removes the limit. */
  rate: rateSchema.nullable().optional(),
  paused: z.boolean().optional(),
});
export type PatchPoolRequest = z.infer<typeof patchPoolRequestSchema>;

export const poolViewSchema = z.object({
  name: poolSchema,
  capacity: z.number().int(),
  rate: rateSchema.nullable(),
  paused: z.boolean(),
  pausedUntil: z.string().nullable(),
  inFlight: z.number().int(),
  backlog: z.number().int(),
  oldestQueuedAgeMs: z.number(),
});
export type PoolView = z.infer<typeof poolViewSchema>;
