import { z } from 'zod';

/**
 * Stable error codes shared by REST (problem+json `code`), gRPC status mapping and job errors.
 * Values are wire format — never rename.
 */
export const ERROR_CODES = {
  validation: 'validation_failed',
  notFound: 'not_found',
  conflict: 'conflict',
  invalidState: 'invalid_state',
  payloadTooLarge: 'payload_too_large',
  unavailable: 'service_unavailable',
  internal: 'internal_error',
  unauthenticated: 'unauthenticated',
  forbidden: 'forbidden',
  rateLimited: 'rate_limited',
  // Job outcome codes
  handlerFailed: 'handler_failed',
  unknownJobType: 'unknown_job_type',
  invalidPayload: 'invalid_payload',
  cancelled: 'cancelled',
  timedOut: 'timed_out',
  workerLost: 'worker_lost',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Structured job error, as stored on the job and carried in `job.failed`. */
export const jobErrorSchema = z.object({
  code: z.string().min(1).max(100),
  message: z.string().max(10_000),
  retryable: z.boolean(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type JobError = z.infer<typeof jobErrorSchema>;

/** RFC 9457 problem details body with jobplane's stable `code`. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: ErrorCode;
  errors?: { path: string; message: string }[];
}

/** Documentation base for problem `type` URIs. */
export const PROBLEM_TYPE_BASE = 'https://jobplane.dev/problems/';
