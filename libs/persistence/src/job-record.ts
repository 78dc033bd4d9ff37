import type { Concurrency, JobError, JobEventView, JobState, JobView, Progress } from '@jobplane/contracts';

/** A job as the services see it (camelCase, typed), mapped from a `jobs` row. */
export interface JobRecord {
  id: string;
  tenant: string;
  type: string;
  pool: string;
  state: JobState;
  priority: number;
  payload: unknown;
  result: unknown;
  /** The result is in the result store (too big to keep on the job). */
  resultRef: ResultRef | null;
  error: JobError | null;
  progress: Progress | null;
  attempt: number;
  maxAttempts: number;
  runAt: Date | null;
  backoff: unknown;
  timeouts: unknown;
  labels: Record<string, string>;
  idempotencyKey: string | null;
  cancelRequestedAt: Date | null;
  concurrency: Concurrency | null;
  /** Out of the backlog until a slot of its concurrency key frees up. */
  parked: boolean;
  /** Worker running the current attempt (from its `job.started`). */
  workerId: string | null;
  /** W3C trace context of the submit request (`traceparent`...), when tracing was on. */
  traceContext?: Record<string, string> | null;
  lastSeq: number;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** Where a stored result is and how big it is (the job's `result_ref`). */
export interface ResultRef {
  sizeBytes: number;
  contentType: string;
}

/** The API path that returns a job's result, inline or stored. */
export const resultUrl = (jobId: string) => `/v1/jobs/${jobId}/result`;

export interface JobEventRecord {
  jobId: string;
  seq: number;
  eventId: string;
  type: string;
  attempt: number | null;
  data: unknown;
  occurredAt: Date;
}

type Row = Record<string, unknown>;

const date = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(v as string));

export function jobFromRow(r: Row): JobRecord {
  return {
    id: r.id as string,
    tenant: r.tenant as string,
    type: r.type as string,
    pool: r.pool as string,
    state: r.state as JobState,
    priority: Number(r.priority),
    payload: r.payload,
    result: r.result ?? null,
    resultRef: (r.result_ref as ResultRef | null) ?? null,
    error: (r.error as JobError | null) ?? null,
    progress: (r.progress as Progress | null) ?? null,
    attempt: Number(r.attempt),
    maxAttempts: Number(r.max_attempts),
    runAt: date(r.run_at),
    backoff: r.backoff ?? null,
    timeouts: r.timeouts ?? null,
    labels: (r.labels as Record<string, string> | null) ?? {},
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    cancelRequestedAt: date(r.cancel_requested_at),
    workerId: (r.worker_id as string | null) ?? null,
    traceContext: (r.trace_context as Record<string, string> | null) ?? null,
    concurrency: (r.concurrency as Concurrency | null) ?? null,
    parked: Boolean(r.parked),
    lastSeq: Number(r.last_seq),
    version: Number(r.version),
    createdAt: date(r.created_at)!,
    updatedAt: date(r.updated_at)!,
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
  };
}

export function eventFromRow(r: Row): JobEventRecord {
  return {
    jobId: r.job_id as string,
    seq: Number(r.seq),
    eventId: r.event_id as string,
    type: r.type as string,
    attempt: r.attempt == null ? null : Number(r.attempt),
    data: r.data,
    occurredAt: date(r.occurred_at)!,
  };
}

/** The public shape of a job event (REST history, SSE, WebSocket and gRPC WatchJob). */
export function toJobEventView(e: JobEventRecord): JobEventView {
  return {
    jobId: e.jobId,
    seq: e.seq,
    type: e.type,
    attempt: e.attempt,
    data: e.data,
    occurredAt: e.occurredAt.toISOString(),
  };
}

/** The public shape of a job (REST, gRPC and the console read this). */
export function toJobView(j: JobRecord): JobView {
  return {
    id: j.id,
    tenant: j.tenant,
    type: j.type,
    pool: j.pool,
    state: j.state,
    priority: j.priority,
    payload: j.payload,
    result: j.result ?? null,
    ...(j.resultRef ? { resultRef: { sizeBytes: j.resultRef.sizeBytes, url: resultUrl(j.id) } } : {}),
    error: j.error,
    attempt: j.attempt,
    maxAttempts: j.maxAttempts,
    runAt: j.runAt?.toISOString() ?? null,
    labels: j.labels,
    concurrency: j.concurrency,
    progress: j.progress,
    cancelRequested: j.cancelRequestedAt != null,
    createdAt: j.createdAt.toISOString(),
    updatedAt: j.updatedAt.toISOString(),
    startedAt: j.startedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
  };
}
