import { z } from 'zod';
import { jobErrorSchema } from './errors';
import { uuidv7 } from './ids';
import {
  backoffSchema,
  jobTypeSchema,
  jsonValueSchema,
  labelsSchema,
  poolSchema,
  prioritySchema,
  progressSchema,
  timeoutsSchema,
} from './job-spec';

/** Major version of the message contract. Additive changes keep it; consumers ignore unknown fields. */
export const CONTRACT_VERSION = 1;

const attempt = z.number().int().min(1);

/** Body of every message, keyed by message type. Values of the keys are wire format — never rename. */
export const messageDataSchemas = {
  /** api -> scheduler: a job was accepted (row + this message written in one transaction). */
  'job.submitted': z.object({
    type: jobTypeSchema,
    pool: poolSchema,
    priority: prioritySchema,
    payload: jsonValueSchema,
    maxAttempts: z.number().int().min(1),
    runAt: z.iso.datetime().nullable(),
    backoff: backoffSchema.nullable(),
    timeouts: timeoutsSchema.nullable(),
    labels: labelsSchema,
  }),
  /** api -> scheduler: a user asked to cancel (also recorded on the job row). */
  'job.cancel_requested': z.object({ reason: z.string().max(1000).optional() }),
  /**
   * api -> scheduler: a finished job was re-queued by an operator (the row is already `queued` at
   * `attempt`); put it back in its pool's backlog so attempt `attempt + 1` runs.
   */
  'job.retry_requested': z.object({
    attempt: z.number().int().min(0),
    reason: z.string().max(1000).optional(),
  }),
  /** scheduler -> worker (work queue): run this attempt. */
  'job.dispatch': z.object({
    type: jobTypeSchema,
    pool: poolSchema,
    payload: jsonValueSchema,
    attempt,
    maxAttempts: z.number().int().min(1),
    timeouts: timeoutsSchema.nullable(),
    /** The job's labels, for the handler (absent from schedulers older than this field). */
    labels: labelsSchema.optional(),
  }),
  /**
   * scheduler -> workers (control fanout): stop this job if you run it. With `attempt`, stop only
   * that attempt (a timed-out or lost attempt) and do not refuse the job's later attempts.
   */
  'job.cancel': z.object({
    reason: z.string().max(1000).optional(),
    attempt: z.number().int().min(1).optional(),
    /**
     * Whole-job cancel: the job's attempt when it was cancelled. Workers refuse dispatches up to it
     * only, so an operator retry (a later attempt) of a cancelled job can run. Absent: every attempt.
     */
    upToAttempt: z.number().int().min(0).optional(),
  }),
  /** worker -> scheduler: an attempt began. */
  'job.started': z.object({ attempt, workerId: z.string().max(200) }),
  /** worker -> scheduler: throttled progress of an attempt. */
  'job.progress': z.object({ attempt, progress: progressSchema }),
  /** worker -> scheduler: the attempt is alive. */
  'job.heartbeat': z.object({ attempt, workerId: z.string().max(200) }),
  /** worker -> scheduler: outcomes (exactly one per attempt). */
  'job.succeeded': z.object({ attempt, result: jsonValueSchema, durationMs: z.number().min(0) }),
  'job.failed': z.object({ attempt, error: jobErrorSchema, durationMs: z.number().min(0) }),
  'job.cancelled': z.object({ attempt, reason: z.string().max(1000).optional() }),
} as const;

export type MessageType = keyof typeof messageDataSchemas;
export const MESSAGE_TYPES = Object.keys(messageDataSchemas) as MessageType[];

const envelopeBase = {
  v: z.literal(CONTRACT_VERSION),
  id: z.uuid(),
  jobId: z.uuid(),
  tenant: z.string().min(1).max(100),
  occurredAt: z.iso.datetime(),
  /** Who asked (an API key id) on user requests such as cancel and retry; the audit trail keeps it. */
  actor: z.string().min(1).max(200).optional(),
};

function envelopeOf<T extends MessageType>(type: T) {
  return z.object({ ...envelopeBase, type: z.literal(type), data: messageDataSchemas[type] });
}

/** Every message on the bus: one discriminated union. */
export const messageSchema = z.discriminatedUnion('type', [
  envelopeOf('job.submitted'),
  envelopeOf('job.cancel_requested'),
  envelopeOf('job.retry_requested'),
  envelopeOf('job.dispatch'),
  envelopeOf('job.cancel'),
  envelopeOf('job.started'),
  envelopeOf('job.progress'),
  envelopeOf('job.heartbeat'),
  envelopeOf('job.succeeded'),
  envelopeOf('job.failed'),
  envelopeOf('job.cancelled'),
]);

export type Message = z.infer<typeof messageSchema>;
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;
export type MessageData<T extends MessageType> = MessageOf<T>['data'];

/** Outcome messages: each attempt produces exactly one. */
export const OUTCOME_TYPES = ['job.succeeded', 'job.failed', 'job.cancelled'] as const;

export type ParseResult = { ok: true; message: Message } | { ok: false; error: string };

/** Validates a message at a service's edge. Never throws. */
export function parseMessage(raw: unknown): ParseResult {
  let value: unknown = raw;
  if (Buffer.isBuffer(raw) || typeof raw === 'string') {
    try {
      value = JSON.parse(raw.toString());
    } catch {
      return { ok: false, error: 'body is not JSON' };
    }
  }
  const parsed = messageSchema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  return { ok: false, error: formatIssues(parsed.error) };
}

/** One line naming every invalid field, e.g. `data.attempt: Too small; type: Invalid input`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Builds a message with a fresh id and timestamp. */
export function createMessage<T extends MessageType>(
  type: T,
  fields: {
    jobId: string;
    tenant: string;
    data: MessageData<T>;
    id?: string;
    occurredAt?: Date;
    actor?: string;
  },
): MessageOf<T> {
  return {
    v: CONTRACT_VERSION,
    id: fields.id ?? uuidv7(),
    type,
    jobId: fields.jobId,
    tenant: fields.tenant,
    occurredAt: (fields.occurredAt ?? new Date()).toISOString(),
    ...(fields.actor ? { actor: fields.actor } : {}),
    data: fields.data,
  } as MessageOf<T>;
}
