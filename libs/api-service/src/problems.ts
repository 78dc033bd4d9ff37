import { AuditTrailUnavailableError } from '@jobplane/audit-service';
import { ERROR_CODES, ErrorCode, formatIssues, PROBLEM_TYPE_BASE, ProblemDetails } from '@jobplane/contracts';
import {
  IdempotencyConflictError,
  InvalidCursorError,
  JobNotFoundError,
  JobStateError,
  QueueFullError,
  ScheduleNotFoundError,
} from '@jobplane/persistence';
import { z } from 'zod';
import { isStoreUnavailable, UNAVAILABLE_RETRY_AFTER_S } from './unavailable';

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Deepest accepted JSON nesting of a request body (payloads included). */
export const MAX_JSON_DEPTH = 64;

/** An error with a stable code that maps to one HTTP status (and, later, one gRPC status). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    readonly title: string,
    detail?: string,
    readonly errors?: { path: string; message: string }[],
    /** Response headers that belong to this answer (Retry-After, WWW-Authenticate). */
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title);
  }
}

/** Response headers an error asks for (sent by the problem filter). */
export function problemHeaders(err: unknown): Record<string, string> {
  if (err instanceof ApiProblem) return err.headers ?? {};
  return isStoreUnavailable(err) ? { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_S) } : {};
}

export function validationProblem(error: z.ZodError, where: string): ApiProblem {
  return new ApiProblem(
    400,
    ERROR_CODES.validation,
    'Request validation failed',
    `${where}: ${formatIssues(error)}`,
    error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })),
  );
}

/** Validates request input, throwing a 400 problem that names every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationProblem(result.error, where);
  return result.data;
}

/**
 * Throws a 400 if `body` nests deeper than MAX_JSON_DEPTH. Iterative, so a body nested 10,000
 * levels deep cannot overflow the stack here (recursive validators and serialisers would).
 */
export function checkJsonDepth(body: unknown): void {
  if (body === null || typeof body !== 'object') return;
  const stack: [unknown, number][] = [[body, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > MAX_JSON_DEPTH)
      throw new ApiProblem(
        400,
        ERROR_CODES.validation,
        'Request body nested too deeply',
        `JSON may nest at most ${MAX_JSON_DEPTH} levels`,
      );
    for (const child of Object.values(value as object))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
}

/** JSON is UTF-8 (RFC 8259): a body declared in another charset is refused (415), not misread. */
export function checkCharset(contentType: string | undefined): void {
  const charset = contentType && /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8')
    throw new ApiProblem(
      415,
      ERROR_CODES.validation,
      'Unsupported media type',
      `charset ${charset}: use utf-8`,
    );
}

/** Errors from Fastify itself (body parsing, limits) by its codes. */
const FASTIFY_ERRORS: Record<string, [number, ErrorCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, ERROR_CODES.payloadTooLarge, 'Request body too large'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, ERROR_CODES.validation, 'Request body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, ERROR_CODES.validation, 'Request body is empty'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, ERROR_CODES.validation, 'Unsupported media type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, ERROR_CODES.validation, 'Invalid content length'],
  FST_ERR_BAD_URL: [400, ERROR_CODES.validation, 'Malformed URL'],
  FST_ERR_ASYNC_CONSTRAINT: [400, ERROR_CODES.validation, 'Bad request'],
};

/** Maps any error to an RFC 9457 problem body. Unknown errors become 500 without internals. */
export function toProblem(err: unknown, instance?: string): ProblemDetails {
  const p = classify(err);
  return {
    type: `${PROBLEM_TYPE_BASE}${p.code}`,
    title: p.title,
    status: p.status,
    ...(p.detail ? { detail: p.detail } : {}),
    ...(instance ? { instance } : {}),
    code: p.code,
    ...(p.errors ? { errors: p.errors } : {}),
  };
}

function classify(err: unknown): {
  status: number;
  code: ErrorCode;
  title: string;
  detail?: string;
  errors?: { path: string; message: string }[];
} {
  if (err instanceof ApiProblem)
    return {
      status: err.status,
      code: err.code,
      title: err.title,
      detail: err.message,
      ...(err.errors ? { errors: err.errors } : {}),
    };
  if (err instanceof JobNotFoundError)
    return { status: 404, code: ERROR_CODES.notFound, title: 'Job not found', detail: err.message };
  if (err instanceof ScheduleNotFoundError)
    return { status: 404, code: ERROR_CODES.notFound, title: 'Schedule not found', detail: err.message };
  if (err instanceof JobStateError)
    return {
      status: 409,
      code: ERROR_CODES.invalidState,
      title: 'Job is in the wrong state',
      detail: err.message,
    };
  if (err instanceof IdempotencyConflictError)
    return { status: 409, code: ERROR_CODES.conflict, title: 'Idempotency key reused', detail: err.message };
  if (err instanceof QueueFullError)
    return { status: 429, code: ERROR_CODES.rateLimited, title: 'Too many queued jobs', detail: err.message };
  if (err instanceof AuditTrailUnavailableError)
    return {
      status: 503,
      code: ERROR_CODES.unavailable,
      title: 'Audit trail not available',
      detail: err.message,
    };
  if (err instanceof InvalidCursorError)
    return { status: 400, code: ERROR_CODES.validation, title: 'Invalid cursor', detail: err.message };
  const fastifyCode = (err as { code?: string } | null)?.code;
  const known = fastifyCode ? FASTIFY_ERRORS[fastifyCode] : undefined;
  if (known) return { status: known[0], code: known[1], title: known[2], detail: (err as Error).message };
  const status =
    (err as { statusCode?: number; status?: number } | null)?.statusCode ??
    (err as { status?: number } | null)?.status;
  if (status === 404) return { status: 404, code: ERROR_CODES.notFound, title: 'Not found' };
  if (status === 413)
    return {
      status,
      code: ERROR_CODES.payloadTooLarge,
      title: 'Request body too large',
      detail: `the limit is ${MAX_BODY_BYTES} bytes`,
    };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, code: ERROR_CODES.validation, title: 'Bad request', detail: (err as Error).message };
  }
  if (isStoreUnavailable(err))
    return {
      status: 503,
      code: ERROR_CODES.unavailable,
      title: 'Service temporarily unavailable',
      detail:
        'a backing store is unavailable; retry after the Retry-After delay (with the same Idempotency-Key)',
    };
  return { status: 500, code: ERROR_CODES.internal, title: 'Internal error' };
}
