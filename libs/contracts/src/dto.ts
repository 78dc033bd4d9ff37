import { z } from 'zod';
import { jobErrorSchema } from './errors';
import { JOB_STATES } from './job-state';
import { WAIT_REASONS } from './pools';
import {
  backoffSchema,
  concurrencySchema,
  DEFAULT_PRIORITY,
  jobTypeSchema,
  jsonValueSchema,
  labelsSchema,
  poolSchema,
  prioritySchema,
  progressSchema,
  timeoutsSchema,
} from './job-spec';

/** REST request and response bodies. Unknown fields are rejected, never silently dropped. */

export const submitJobRequestSchema = z.strictObject({
  type: jobTypeSchema,
  payload: jsonValueSchema.optional().default({}),
  pool: poolSchema.optional(),
  priority: prioritySchema.optional().default(DEFAULT_PRIORITY),
  runAt: z.iso.datetime({ offset: true }).optional(),
  /** Absent: the handler's declared `retry.maxAttempts`, else DEFAULT_MAX_ATTEMPTS (3). */
  maxAttempts: z.number().int().min(1).max(100).optional(),
  backoff: backoffSchema.optional(),
  timeouts: timeoutsSchema.optional(),
  idempotencyKey: z.string().min(1).max(200).optional(),
  labels: labelsSchema.optional().default({}),
  concurrency: concurrencySchema.optional(),
});
export type SubmitJobRequest = z.input<typeof submitJobRequestSchema>;
export type SubmitJob = z.output<typeof submitJobRequestSchema>;

export const jobStateSchema = z.enum(JOB_STATES);

export const jobViewSchema = z.object({
  id: z.uuid(),
  tenant: z.string(),
  type: z.string(),
  pool: z.string(),
  state: jobStateSchema,
  priority: z.number().int(),
  payload: jsonValueSchema,
  result: jsonValueSchema.nullable(),
  /** The result was too big to keep on the job (`result` is null): fetch it from `url`. */
  resultRef: z.object({ sizeBytes: z.number().int(), url: z.string() }).optional(),
  error: jobErrorSchema.nullable(),
  attempt: z.number().int(),
  maxAttempts: z.number().int(),
  runAt: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  concurrency: concurrencySchema.nullable().optional(),
  progress: progressSchema.nullable(),
  cancelRequested: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Queued jobs only: why it is not running yet, and how many jobs of its pool go first. */
  waitReason: z.enum(WAIT_REASONS).optional(),
  waitingUntil: z.string().optional(),
  position: z.number().int().optional(),
});
export type JobView = z.infer<typeof jobViewSchema>;

export const LIST_DEFAULT_LIMIT = 50;
export const LIST_MAX_LIMIT = 500;

/** `label=k:v` (repeatable: every one must match). */
const labelFilterSchema = z
  .string()
  .max(400)
  .regex(/^[^:]+:.*$/, 'label filter: key:value')
  .transform((v) => {
    const i = v.indexOf(':');
    return { key: v.slice(0, i), value: v.slice(i + 1) };
  });

/** Query strings are strict too: an unknown parameter is a 400, never ignored. */
export const listJobsQuerySchema = z.strictObject({
  state: jobStateSchema.optional(),
  type: jobTypeSchema.optional(),
  pool: poolSchema.optional(),
  label: z
    .union([labelFilterSchema, z.array(labelFilterSchema).max(16)])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
  createdAfter: z.iso.datetime({ offset: true }).optional(),
  createdBefore: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).optional().default(LIST_DEFAULT_LIMIT),
});
export type ListJobsQuery = z.output<typeof listJobsQuerySchema>;

export const jobPageSchema = z.object({
  items: z.array(jobViewSchema),
  /** Opaque; pass as `cursor` for the next page. Null on the last page. */
  nextCursor: z.string().nullable(),
});
export type JobPage = z.infer<typeof jobPageSchema>;

export const jobEventViewSchema = z.object({
  jobId: z.uuid(),
  /** Per job, from 1, gapless: the SSE event id and the resume point of every stream. */
  seq: z.number().int(),
  type: z.string(),
  attempt: z.number().int().nullable(),
  data: jsonValueSchema,
  occurredAt: z.string(),
});
export type JobEventView = z.infer<typeof jobEventViewSchema>;

export const cancelJobRequestSchema = z.strictObject({ reason: z.string().max(1000).optional() });

export const BATCH_MAX_JOBS = 1000;

/** `POST /v1/jobs:batch`: up to BATCH_MAX_JOBS jobs, each validated and answered on its own. */
export const submitJobsRequestSchema = z.strictObject({
  jobs: z.array(z.unknown()).min(1).max(BATCH_MAX_JOBS),
});

/** One answer per submitted job, in request order. */
export const batchItemResultSchema = z.union([
  z.object({ index: z.number().int(), ok: z.literal(true), created: z.boolean(), job: jobViewSchema }),
  z.object({
    index: z.number().int(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
]);
export const submitJobsResponseSchema = z.object({ items: z.array(batchItemResultSchema) });
export type SubmitJobsResponse = z.infer<typeof submitJobsResponseSchema>;

export const retryJobRequestSchema = z.strictObject({ reason: z.string().max(1000).optional() });

/** The `Idempotency-Key` header (and the body's `idempotencyKey`): printable ASCII, max 200. */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');
