import { z } from 'zod';
import { CONTRACT_VERSION } from './messages';
import { poolSchema } from './job-spec';
import { uuidv7 } from './ids';

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
    running: z.array(z.object({ jobId: z.uuid(), attempt: z.number().int().min(1) })),
    /** Stopping: takes no new work. */
    draining: z.boolean(),
    startedAt: z.iso.datetime(),
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
