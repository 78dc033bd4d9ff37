import { formatIssues, type Backoff, type JobError, type Progress } from '@jobplane/contracts';
import type { z } from 'zod';

/** Structured logging from a handler: lines go to the worker log with the job's fields. */
export interface JobLog {
  (message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Set in an isolate's environment so a module that starts a worker does not start one in there. */
export const ISOLATE_ENV = 'JOBPLANE_ISOLATE';

/** Where a handler runs: on the worker's event loop, in a worker thread, or in a child process. */
export type ExecutionMode = 'inline' | 'thread' | 'process';

/** What a handler receives for one attempt. */
export interface JobContext<P = unknown> {
  jobId: string;
  tenant: string;
  type: string;
  pool: string;
  attempt: number;
  maxAttempts: number;
  payload: P;
  /** The job's labels as submitted (empty when it has none). */
  labels: Record<string, string>;
  /** Fires on cancel, on the soft time limit and on shutdown; handlers should stop promptly. */
  signal: AbortSignal;
  /** Throttled; the latest value always reaches the job. */
  progress: (update: Progress) => void;
  log: JobLog;
  /** Tells the scheduler the attempt is alive (throttled); long silent steps should call it. */
  heartbeat: () => void;
}

export type JobHandler<P = unknown> = (ctx: JobContext<P>) => Promise<unknown>;

export interface HandlerDefinition<P = unknown> {
  type: string;
  /** Validates (and may transform) the payload before the handler runs; a mismatch fails the job at once. */
  payload?: z.ZodType<P>;
  handle: JobHandler<P>;
  /** The pool this handler serves: jobs submitted without a pool go there; `startWorker`'s default pools. */
  pool?: string;
  /** Time limits of jobs that set none (applied at submit, per limit; the worker also falls back to them). */
  timeouts?: { softMs?: number; hardMs?: number };
  /** Attempts and backoff of jobs that set none (applied at submit; the submitter's choice wins). */
  retry?: { maxAttempts?: number; backoff?: Backoff };
  /** Default `inline`. `thread` and `process` can be killed when the handler ignores its signal. */
  execution?: ExecutionMode;
  /** Heap limit of an isolated execution (thread: maxOldGenerationSizeMb; process: --max-old-space-size). */
  memoryLimitMb?: number;
  /** Absolute path or file URL of the module exporting this definition (required unless inline). */
  module?: string;
}

/** Any handler, whatever its payload type (what the registry holds). */
export type AnyHandlerDefinition = Omit<HandlerDefinition, 'payload' | 'handle'> & {
  payload?: z.ZodType<unknown>;
  handle: JobHandler<never>;
};

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
export abstract class JobFailure extends Error {
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
  // Thrown in another realm (a worker thread) or by another copy of this library: same shape.
  if (isFailureShaped(err)) {
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

function isFailureShaped(
  err: unknown,
): err is { code: string; message: string; retryable: boolean; details?: Record<string, unknown> } {
  const e = err as Record<string, unknown> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.code === 'string' &&
    typeof e.message === 'string' &&
    typeof e.retryable === 'boolean'
  );
}

/** Types -> handlers; refuses duplicates so two handlers can never claim one type. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, HandlerDefinition>();

  register(...defs: AnyHandlerDefinition[]): this {
    for (const def of defs) {
      if (this.handlers.has(def.type)) throw new Error(`duplicate handler for job type "${def.type}"`);
      if (def.execution && def.execution !== 'inline' && !def.module) {
        throw new Error(
          `handler "${def.type}" runs in a ${def.execution} but names no module to load it from (set \`module\`)`,
        );
      }
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
