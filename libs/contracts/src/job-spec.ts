import { z } from 'zod';

/** Pieces of a job's definition shared by the REST DTOs and the messages. */

export const JOB_TYPE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/i;
export const POOL_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const MIN_PRIORITY = 0;
export const MAX_PRIORITY = 20;
export const DEFAULT_PRIORITY = 10;
export const DEFAULT_MAX_ATTEMPTS = 3;

export const jobTypeSchema = z
  .string()
  .regex(JOB_TYPE_PATTERN, 'job type: letters, digits, ".", "_", "-" (max 128)');
export const poolSchema = z.string().regex(POOL_PATTERN, 'pool: lower-case letters, digits and "-" (max 63)');
export const prioritySchema = z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY);

export const backoffSchema = z.strictObject({
  type: z.enum(['exponential', 'fixed']),
  baseMs: z.number().int().min(0).max(86_400_000),
  maxMs: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .optional(),
});
export type Backoff = z.infer<typeof backoffSchema>;

export const timeoutsSchema = z.strictObject({
  /** After this the handler's AbortSignal fires; it may clean up. */
  softMs: z
    .number()
    .int()
    .positive()
    .max(7 * 86_400_000)
    .optional(),
  /** After this the attempt is abandoned and the job times out. */
  hardMs: z
    .number()
    .int()
    .positive()
    .max(7 * 86_400_000)
    .optional(),
  /** Retry a timed-out attempt if attempts remain (default: a timeout is final). */
  retryOnTimeout: z.boolean().optional(),
});
export type Timeouts = z.infer<typeof timeoutsSchema>;

export const labelsSchema = z
  .record(z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,62}$/i, 'label key: max 63 chars'), z.string().max(256))
  .refine((l) => Object.keys(l).length <= 32, 'at most 32 labels');
export type Labels = z.infer<typeof labelsSchema>;

export const progressSchema = z.strictObject({
  percent: z.number().min(0).max(100).optional(),
  step: z.string().max(200).optional(),
  message: z.string().max(2000).optional(),
});
export type Progress = z.infer<typeof progressSchema>;

/** Any JSON value (payloads and results). */
export const jsonValueSchema: z.ZodType<unknown> = z.json();

/** At most `limit` jobs with the same key (within a tenant) dispatched at once, optionally rate limited. */
export const concurrencySchema = z.strictObject({
  key: z.string().min(1).max(200),
  limit: z.number().int().min(1).max(10_000).default(1),
  rate: z
    .strictObject({
      max: z.number().int().min(1).max(1_000_000),
      perMs: z.number().int().min(1).max(86_400_000),
    })
    .optional(),
});
export type Concurrency = z.output<typeof concurrencySchema>;
