import { formatIssues, type JobError, type Progress } from '@jobplane/contracts';
import type { z } from 'zod';

/** What a handler receives for one attempt. */
export interface JobContext<P = unknown> {
  jobId: string;
  tenant: string;
  type: string;
  pool: string;
  attempt: number;
  maxAttempts: number;
  payload: P;
  /** Fires on cancel, on the soft time limit and on shutdown; handlers should stop promptly. */
  signal: AbortSignal;
  /** Throttled; the latest value always reaches the job. */
  progress: (update: Progress) => void;
}

export type JobHandler<P = unknown> = (ctx: JobContext<P>) => Promise<unknown>;

export interface HandlerDefinition<P = unknown> {
  type: string;
  /** Validates (and may transform) the payload before the handler runs; a mismatch fails the job at once. */
  payload?: z.ZodType<P>;
  handle: JobHandler<P>;
}

/** Any handler, whatever its payload type (what the registry holds). */
export interface AnyHandlerDefinition {
  type: string;
  payload?: z.ZodType<unknown>;
  handle: JobHandler<never>;
}

/** The payload the handler will see, or the non-retryable error naming every bad field. */
export function validatePayload<P>(def: HandlerDefinition<P>, payload: unknown): P {
  if (!def.payload) return payload as P;
  const parsed = def.payload.safeParse(payload);
  if (parsed.success) return parsed.data;
  throw new NonRetryableError(
    `invalid payload for job type "${def.type}": ${formatIssues(parsed.error)}`,
    'invalid_payload',
  );
}

/** A handler failure with a stable code; `retryable` says whether another attempt may help. */
abstract class JobFailure extends Error {
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    readonly code = 'handler_failed',
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** A failure the scheduler may retry (plain Errors are retryable too). */
export class RetryableError extends JobFailure {
  readonly retryable = true;
}

/** A failure that retrying cannot fix (bad input, missing permission): the job fails at once. */
export class NonRetryableError extends JobFailure {
  readonly retryable = false;
}

/**
 * The downstream said "slow down": the scheduler pauses this job's pool for `retryAfterMs` and
 * puts the job back without spending an attempt.
 */
export class RateLimitedError extends Error {
  readonly retryable = true;
  readonly code = 'rate_limited';
  constructor(
    readonly retryAfterMs: number,
    message = `rate limited; retry after ${retryAfterMs} ms`,
  ) {
    super(message);
  }
}

/** Maps anything a handler threw to the structured job error. */
export function toJobError(err: unknown): JobError {
  if (err instanceof RateLimitedError) {
    return {
      code: err.code,
      message: err.message,
      retryable: true,
      details: { retryAfterMs: err.retryAfterMs },
    };
  }
  if (err instanceof JobFailure) {
    return {
      code: err.code,
      message: err.message,
      retryable: err.retryable,
      ...(err.details ? { details: err.details } : {}),
    };
  }
  if (err instanceof Error)
    return { code: 'handler_failed', message: err.message, retryable: true, details: { name: err.name } };
  return { code: 'handler_failed', message: String(err), retryable: true };
}

/** Types -> handlers; refuses duplicates so two handlers can never claim one type. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, HandlerDefinition>();

  register(...defs: AnyHandlerDefinition[]): this {
    for (const def of defs) {
      if (this.handlers.has(def.type)) throw new Error(`duplicate handler for job type "${def.type}"`);
      this.handlers.set(def.type, def as unknown as HandlerDefinition);
    }
    return this;
  }

  get(type: string): HandlerDefinition | undefined {
    return this.handlers.get(type);
  }

  types(): string[] {
    return [...this.handlers.keys()].sort();
  }
}
