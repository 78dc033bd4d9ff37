import { z } from 'zod';
import { backoffSchema } from './job-spec';
import { EXECUTION_MODES } from './worker-messages';

/** REST views of the worker fleet and the handler registry (`GET /v1/workers`, `GET /v1/handlers`). */

export const WORKER_STATES = ['online', 'draining', 'offline'] as const;

export const workerViewSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  version: z.string(),
  /** online: heartbeats arrive; draining: stopping, takes no new work; offline: silent past WORKER_LOST_AFTER_MS. */
  state: z.enum(WORKER_STATES),
  pools: z.array(
    z.object({
      pool: z.string(),
      concurrency: z.number().int(),
      /** Attempts of this pool running on the worker at its last heartbeat. */
      busy: z.number().int(),
    }),
  ),
  /** Job types it serves (empty for workers older than the handler registry). */
  handlers: z.array(z.string()),
  startedAt: z.string(),
  lastHeartbeatAt: z.string(),
});
export type WorkerView = z.infer<typeof workerViewSchema>;

export const handlerViewSchema = z.object({
  type: z.string(),
  /** The pool a job of this type goes to when its submit names none (null: the default pool). */
  pool: z.string().nullable(),
  execution: z.enum(EXECUTION_MODES),
  /** Applied when a submit sets no `timeouts`. */
  timeouts: z.object({ softMs: z.number().int().optional(), hardMs: z.number().int().optional() }).optional(),
  /** Applied when a submit sets no `maxAttempts` / `backoff`. */
  retry: z.object({ maxAttempts: z.number().int().optional(), backoff: backoffSchema.optional() }).optional(),
  /** JSON Schema of the payload (null: none declared, or not expressible in JSON Schema). */
  payloadSchema: z.record(z.string(), z.unknown()).nullable(),
  /** Workers not offline that serve this type (0: declared before, none serves it now). */
  workers: z.number().int(),
  /** The worker whose declaration is current (the newest started one that announced the type). */
  declaredBy: z.string(),
  updatedAt: z.string(),
});
export type HandlerView = z.infer<typeof handlerViewSchema>;
