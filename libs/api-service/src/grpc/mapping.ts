import {
  fromProtoTimestamp,
  fromProtoValue,
  JobEventView,
  JobView,
  ProtoTimestamp,
  ProtoValue,
  toProtoTimestamp,
  toProtoValue,
} from '@jobplane/contracts';

/**
 * Proto messages (proto-loader object form: camelCase, enums by name, unset fields absent) to the
 * REST request shapes, so the same zod schemas validate both surfaces; and views back to messages.
 */

export interface SubmitJobMessage {
  type?: string;
  payload?: ProtoValue;
  pool?: string;
  priority?: number;
  runAt?: ProtoTimestamp;
  maxAttempts?: number;
  backoff?: { type?: string; baseMs?: number; maxMs?: number };
  timeouts?: { softMs?: number; hardMs?: number; retryOnTimeout?: boolean };
  idempotencyKey?: string;
  labels?: Record<string, string>;
  concurrency?: { key?: string; limit?: number; rate?: { max?: number; perMs?: number } };
}

export interface ListJobsMessage {
  state?: string | number;
  type?: string;
  pool?: string;
  cursor?: string;
  limit?: number;
}

const STATE_PREFIX = 'JOB_STATE_';

/** The REST submit body a SubmitJobRequest stands for; proto3 defaults ("" and 0) mean "not set". */
export function submitBodyOf(m: SubmitJobMessage): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (m.type) body.type = m.type;
  const payload = fromProtoValue(m.payload);
  if (payload !== undefined) body.payload = payload;
  if (m.pool) body.pool = m.pool;
  if (m.priority !== undefined) body.priority = m.priority;
  const runAt = fromProtoTimestamp(m.runAt);
  if (runAt) body.runAt = runAt;
  if (m.maxAttempts !== undefined) body.maxAttempts = m.maxAttempts;
  if (m.backoff)
    body.backoff = defined({
      type: m.backoff.type || undefined,
      baseMs: m.backoff.baseMs ?? 0,
      maxMs: m.backoff.maxMs || undefined,
    });
  if (m.timeouts)
    body.timeouts = defined({
      softMs: m.timeouts.softMs || undefined,
      hardMs: m.timeouts.hardMs || undefined,
      retryOnTimeout: m.timeouts.retryOnTimeout || undefined,
    });
  if (m.idempotencyKey) body.idempotencyKey = m.idempotencyKey;
  if (m.labels && Object.keys(m.labels).length > 0) body.labels = m.labels;
  if (m.concurrency)
    body.concurrency = defined({
      key: m.concurrency.key || undefined,
      limit: m.concurrency.limit || undefined,
      rate: m.concurrency.rate
        ? { max: m.concurrency.rate.max ?? 0, perMs: m.concurrency.rate.perMs ?? 0 }
        : undefined,
    });
  return body;
}

/** The REST list query a ListJobsRequest stands for. */
export function listQueryOf(m: ListJobsMessage): Record<string, unknown> {
  return defined({
    state: stateOf(m.state),
    type: m.type || undefined,
    pool: m.pool || undefined,
    cursor: m.cursor || undefined,
    limit: m.limit || undefined,
  });
}

export function toJobMessage(j: JobView): Record<string, unknown> {
  return defined({
    id: j.id,
    tenant: j.tenant,
    type: j.type,
    pool: j.pool,
    state: `${STATE_PREFIX}${j.state.toUpperCase()}`,
    priority: j.priority,
    payload: toProtoValue(j.payload),
    result: j.result === null ? undefined : toProtoValue(j.result),
    error: j.error
      ? defined({
          code: j.error.code,
          message: j.error.message,
          retryable: j.error.retryable,
          details: j.error.details === undefined ? undefined : toProtoValue(j.error.details),
        })
      : undefined,
    attempt: j.attempt,
    maxAttempts: j.maxAttempts,
    runAt: toProtoTimestamp(j.runAt),
    labels: j.labels,
    progress: j.progress ?? undefined,
    cancelRequested: j.cancelRequested,
    createdAt: toProtoTimestamp(j.createdAt),
    updatedAt: toProtoTimestamp(j.updatedAt),
    startedAt: toProtoTimestamp(j.startedAt),
    finishedAt: toProtoTimestamp(j.finishedAt),
    waitReason: j.waitReason,
    waitingUntil: toProtoTimestamp(j.waitingUntil),
    position: j.position,
  });
}

export function toJobEventMessage(e: JobEventView): Record<string, unknown> {
  return defined({
    jobId: e.jobId,
    seq: e.seq,
    type: e.type,
    data: toProtoValue(e.data),
    occurredAt: toProtoTimestamp(e.occurredAt),
    attempt: e.attempt ?? undefined,
  });
}

/** JOB_STATE_RUNNING -> running; an unknown enum number stays as it is for the schema to reject. */
function stateOf(s: string | number | undefined): string | undefined {
  if (s === undefined || s === 0 || s === `${STATE_PREFIX}UNSPECIFIED`) return undefined;
  return typeof s === 'string' ? s.replace(STATE_PREFIX, '').toLowerCase() : String(s);
}

/** Drops undefined fields (unset in proto; absent in REST bodies). */
function defined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
