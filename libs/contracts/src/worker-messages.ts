import { z } from 'zod';
import { CONTRACT_VERSION } from './messages';
import { backoffSchema, jobTypeSchema, poolSchema } from './job-spec';
import { uuidv7 } from './ids';

export const EXECUTION_MODES = ['inline', 'thread', 'process'] as const;

/**
 * What a worker declares about one of its handlers (the handler registry is built from these).
 * `payloadSchema` is the payload's JSON Schema, or null when the handler has none or it cannot be
 * expressed in JSON Schema.
 */
export const handlerAnnouncementSchema = z.object({
  type: jobTypeSchema,
  pool: poolSchema.nullable(),
  execution: z.enum(EXECUTION_MODES),
  timeouts: z
    .object({
      softMs: z.number().int().positive().optional(),
      hardMs: z.number().int().positive().optional(),
    })
    .optional(),
  retry: z
    .object({ maxAttempts: z.number().int().min(1).max(100).optional(), backoff: backoffSchema.optional() })
    .optional(),
  payloadSchema: z.record(z.string(), z.unknown()).nullable(),
});
export type HandlerAnnouncement = z.infer<typeof handlerAnnouncementSchema>;

/**
 * Messages about workers rather than jobs (routing key = type on the events exchange).
 * Values of the types are wire format — never rename.
 */
export const workerHeartbeatSchema = z.object({
  v: z.literal(CONTRACT_VERSION),
  id: z.uuid(),
  type: z.literal('worker.heartbeat'),
  workerId: z.string().min(1).max(200),
  occurredAt: z.iso.datetime(),
  data: z.object({
    host: z.string().max(255),
    pid: z.number().int(),
    version: z.string().max(50),
    pools: z.array(z.object({ pool: poolSchema, concurrency: z.number().int().min(1) })),
    /** Attempts running on this worker now. */
    running: z.array(
      z.object({
        jobId: z.uuid(),
        attempt: z.number().int().min(1),
        /** Absent from workers older than the handler registry. */
        pool: poolSchema.optional(),
      }),
    ),
    /** Stopping: takes no new work. */
    draining: z.boolean(),
    startedAt: z.iso.datetime(),
    /** The handlers this worker serves (absent from workers older than the handler registry). */
    handlers: z.array(handlerAnnouncementSchema).max(1000).optional(),
  }),
});
export type WorkerHeartbeat = z.infer<typeof workerHeartbeatSchema>;

export function createWorkerHeartbeat(workerId: string, data: WorkerHeartbeat['data']): WorkerHeartbeat {
  return {
    v: CONTRACT_VERSION,
    id: uuidv7(),
    type: 'worker.heartbeat',
    workerId,
    occurredAt: new Date().toISOString(),
    data,
  };
}
