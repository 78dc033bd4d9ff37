import { JobEventView, JobView, UUID_PATTERN } from '@jobplane/contracts';
import { z } from 'zod';

const ref = z.string().max(200).optional();
const jobId = z.string().regex(UUID_PATTERN, 'must be a job id (UUID)');

/**
 * Client frames on `/v1/ws` (JSON text). `ref` is echoed on the direct answer so a client can match
 * it to its command. `auth` is only needed when the handshake carried no key (browsers).
 */
export const clientFrameSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('auth'), token: z.string().min(1).max(1000), ref }),
  z.strictObject({ op: z.literal('run_job'), job: z.unknown(), ref }),
  z.strictObject({
    op: z.literal('reconnect_job'),
    jobId,
    afterSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    ref,
  }),
  z.strictObject({ op: z.literal('cancel_job'), jobId, reason: z.string().max(1000).optional(), ref }),
]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;

export interface FrameError {
  code: string;
  message: string;
  status: number;
}

/** Server frames. `end` follows a job's terminal event: that job's stream is over. */
export type ServerFrame =
  | { type: 'ready'; tenant: string }
  | { type: 'job'; job: JobView; ref?: string }
  | { type: 'event'; event: JobEventView }
  | { type: 'end'; jobId: string }
  | { type: 'error'; error: FrameError; ref?: string; jobId?: string };
