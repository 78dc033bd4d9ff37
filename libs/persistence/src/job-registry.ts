import {
  createMessage,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_POOL,
  EVENTS_EXCHANGE,
  isTerminal,
  JobState,
  ListJobsQuery,
  MANUAL_RETRY_FROM,
  SubmitJob,
  uuidv7,
} from '@jobplane/contracts';
import type { Database, Tx } from './database';
import { handlerDefaults } from './handler-type-store';
import { claimIdempotencyKeys, IdempotencyConflictError, keyOf, requestHash } from './idempotency';
import { eventFromRow, JobEventRecord, jobFromRow, JobRecord } from './job-record';
import { applyGuardedUpdate } from './job-updates';
import { enqueueOutbox, OutboxMessage } from './outbox';

/** What a submit asks for; what it leaves out comes from the handler registry, else the defaults. */
export interface NewJob extends SubmitJob {
  tenant: string;
}

/** A NewJob with its pool and retry budget settled. */
interface ResolvedJob extends NewJob {
  pool: string;
  maxAttempts: number;
}

export interface SubmitResult {
  job: JobRecord;
  /** False when an earlier job with the same idempotency key was returned instead. */
  created: boolean;
}

export class JobNotFoundError extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} not found`);
  }
}

export class JobStateError extends Error {
  constructor(
    readonly jobId: string,
    readonly state: JobState,
    action: string,
  ) {
    super(`job ${jobId} is ${state}; cannot ${action}`);
  }
}

/** Turns a message into an outbox row for the events exchange. */
export function eventOutboxRow(
  message: { id: string; type: string },
  headers?: Record<string, string> | null,
): OutboxMessage {
  return {
    exchange: EVENTS_EXCHANGE,
    routingKey: message.type,
    messageId: message.id,
    body: JSON.stringify(message),
    ...(headers ? { headers } : {}),
  };
}

/** W3C trace headers of the submit request (`traceHeaders()`); empty when tracing is off. */
export type TraceCarrier = Record<string, string>;

/**
 * The api's side of the registry: create jobs (row + first event + outbox message in one
 * transaction), read them, and record cancel requests. State changes after creation belong to
 * the scheduler (see job-updates.ts).
 */
export class JobRegistry {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates the jobs; throws IdempotencyConflictError (nothing created) if any key conflicts. */
  async submit(jobs: NewJob[], limits: SubmitLimits = {}, trace?: TraceCarrier): Promise<SubmitResult[]> {
    if (jobs.length === 0) return [];
    return this.db.transaction(async (tx) => {
      await checkQueuedCap(tx, jobs, limits.maxQueued);
      return submitJobs(tx, jobs, this.now(), trace);
    });
  }

  /** Creates the jobs in one transaction, answering each on its own (a key conflict fails only its item). */
  async submitEach(
    jobs: NewJob[],
    limits: SubmitLimits = {},
    trace?: TraceCarrier,
  ): Promise<SubmitOutcome[]> {
    if (jobs.length === 0) return [];
    return this.db.transaction(async (tx) => {
      await checkQueuedCap(tx, jobs, limits.maxQueued);
      return submitJobsEach(tx, jobs, this.now(), trace);
    });
  }

  async get(tenant: string, id: string): Promise<JobRecord> {
    const [row] = await this.db.query(`SELECT * FROM jobs WHERE id = $1 AND tenant = $2`, [id, tenant]);
    if (!row) throw new JobNotFoundError(id);
    return jobFromRow(row);
  }

  /** Newest first; the cursor is the last id seen (UUIDv7 sorts by time), so pages are stable under inserts. */
  async list(tenant: string, q: ListJobsQuery): Promise<{ items: JobRecord[]; nextCursor: string | null }> {
    const where = ['tenant = $1'];
    const params: unknown[] = [tenant];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.state) add('state = ?', q.state);
    if (q.type) add('type = ?', q.type);
    if (q.pool) add('pool = ?', q.pool);
    if (q.label.length > 0)
      add('labels @> ?::jsonb', JSON.stringify(Object.fromEntries(q.label.map((l) => [l.key, l.value]))));
    if (q.createdAfter) add('created_at > ?::timestamptz', q.createdAfter);
    if (q.createdBefore) add('created_at < ?::timestamptz', q.createdBefore);
    if (q.cursor) add('id < ?::uuid', decodeCursor(q.cursor));
    params.push(q.limit + 1);
    const rows = await this.db.query(
      `SELECT * FROM jobs WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, q.limit).map(jobFromRow);
    const nextCursor = rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null;
    return { items, nextCursor };
  }

  async events(tenant: string, id: string, afterSeq = 0): Promise<JobEventRecord[]> {
    await this.get(tenant, id);
    const rows = await this.db.query(`SELECT * FROM job_events WHERE job_id = $1 AND seq > $2 ORDER BY seq`, [
      id,
      afterSeq,
    ]);
    return rows.map(eventFromRow);
  }

  /**
   * Records a cancel request on the job (durable: it holds even if no worker hears it now) and
   * tells the scheduler through the outbox. Idempotent while the job is unfinished.
   */
  async requestCancel(tenant: string, id: string, reason?: string, actor?: string): Promise<JobRecord> {
    return this.db.transaction(async (tx) => {
      const job = await lockTenantJob(tx, tenant, id);
      if (isTerminal(job.state)) throw new JobStateError(id, job.state, 'cancel');
      if (job.cancelRequestedAt) return job;
      const [updated] = await tx.query(
        `UPDATE jobs SET cancel_requested_at = now(), updated_at = now(), version = version + 1
         WHERE id = $1 RETURNING *`,
        [id],
      );
      const message = createMessage('job.cancel_requested', {
        jobId: id,
        tenant,
        data: reason ? { reason } : {},
        ...(actor ? { actor } : {}),
      });
      await enqueueOutbox(tx, [eventOutboxRow(message)]);
      return jobFromRow(updated!);
    });
  }

  /**
   * Re-queues a failed, timed-out or cancelled job for one more attempt: the row goes back to
   * `queued` at its current attempt (run_at = now, so the backlog reconciler also finds it), a
   * `retry_requested` event is appended, and `job.retry_requested` tells the scheduler through the
   * outbox. The attempt budget grows by one if it was spent. Any other state is a JobStateError.
   */
  async retry(tenant: string, id: string, reason?: string, actor?: string): Promise<JobRecord> {
    return this.db.transaction(async (tx) => {
      const job = await lockTenantJob(tx, tenant, id);
      if (!MANUAL_RETRY_FROM.includes(job.state)) throw new JobStateError(id, job.state, 'retry');
      const message = createMessage('job.retry_requested', {
        jobId: id,
        tenant,
        data: { attempt: job.attempt, ...(reason ? { reason } : {}) },
        ...(actor ? { actor } : {}),
      });
      const updated = await applyGuardedUpdate(tx, {
        jobId: id,
        fromStates: MANUAL_RETRY_FROM,
        attempt: job.attempt,
        set: {
          state: 'queued',
          runAt: this.now(),
          finishedAt: null,
          maxAttempts: Math.max(job.maxAttempts, job.attempt + 1),
        },
        event: {
          id: message.id,
          type: 'retry_requested',
          attempt: job.attempt || null,
          data: { previousState: job.state, nextAttempt: job.attempt + 1, reason: reason ?? null },
          occurredAt: new Date(message.occurredAt),
        },
      });
      // A cancel request belonged to the earlier run; the retried job starts clean.
      await tx.query(`UPDATE jobs SET cancel_requested_at = NULL, parked = false WHERE id = $1`, [id]);
      await enqueueOutbox(tx, [eventOutboxRow(message)]);
      return { ...updated!, cancelRequestedAt: null, parked: false };
    });
  }
}

export interface SubmitLimits {
  /** Per-tenant cap on queued jobs (TENANT_MAX_QUEUED); undefined = none. */
  maxQueued?: (tenant: string) => number | undefined;
}

/** Submitting would take a tenant over its cap of queued jobs. */
export class QueueFullError extends Error {
  constructor(
    readonly tenant: string,
    readonly queued: number,
    readonly cap: number,
    readonly adding: number,
  ) {
    super(
      `tenant ${tenant} has ${queued} queued jobs; adding ${adding} would exceed its cap of ${cap} (TENANT_MAX_QUEUED)`,
    );
  }
}

/**
 * Refuses the whole submit when a tenant would go over its cap. A transaction-scoped advisory lock
 * per capped tenant serialises its submits, so concurrent requests cannot overshoot the cap together.
 */
async function checkQueuedCap(tx: Tx, jobs: NewJob[], maxQueued: SubmitLimits['maxQueued']): Promise<void> {
  if (!maxQueued) return;
  const adding = new Map<string, number>();
  for (const j of jobs) adding.set(j.tenant, (adding.get(j.tenant) ?? 0) + 1);
  for (const [tenant, n] of [...adding].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const cap = maxQueued(tenant);
    if (cap === undefined) continue;
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`jobplane.queued:${tenant}`]);
    const [row] = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobs WHERE tenant = $1 AND state = 'queued'`,
      [tenant],
    );
    const queued = Number(row?.n ?? 0);
    if (queued + n > cap) throw new QueueFullError(tenant, queued, cap, n);
  }
}

/** One item of a submit: created, the earlier job of its idempotency key, or a key conflict. */
export type SubmitOutcome = SubmitResult | { conflict: IdempotencyConflictError };

/**
 * Creates jobs inside the caller's transaction: rows, their first event, their outbox messages.
 * Throws IdempotencyConflictError if a key was used before with a different body.
 */
export async function submitJobs(
  tx: Tx,
  jobs: NewJob[],
  now = new Date(),
  trace?: TraceCarrier,
): Promise<SubmitResult[]> {
  const outcomes = await submitJobsEach(tx, jobs, now, trace);
  return outcomes.map((o) => {
    if ('conflict' in o) throw o.conflict;
    return o;
  });
}

/** As submitJobs, but answers each item on its own (batch submit). Multi-row statements only. */
export async function submitJobsEach(
  tx: Tx,
  jobs: NewJob[],
  now = new Date(),
  trace?: TraceCarrier,
): Promise<SubmitOutcome[]> {
  if (jobs.length === 0) return [];
  const ids = jobs.map(() => uuidv7());
  const claims = jobs.flatMap((j, i) =>
    j.idempotencyKey ? [{ tenant: j.tenant, key: j.idempotencyKey, hash: hashOf(j), jobId: ids[i]! }] : [],
  );
  const { won, held } = await claimIdempotencyKeys(tx, claims, now);
  const fresh = jobs.flatMap((j, i) => (!j.idempotencyKey || won.has(ids[i]!) ? [{ j, id: ids[i]! }] : []));
  // Stored on the job (later dispatches join the trace) and sent with its `job.submitted`.
  const carrier = trace && Object.keys(trace).length > 0 ? trace : null;
  const created = await insertJobs(tx, await withHandlerDefaults(tx, fresh), now, carrier);
  const earlier = await jobsById(
    tx,
    [...held.values()].map((h) => h.jobId).filter((id) => !created.has(id)),
  );
  return jobs.map((j, i) => {
    const job = created.get(ids[i]!);
    if (job) return { job, created: true };
    const h = held.get(keyOf(j.tenant, j.idempotencyKey!))!;
    if (h.hash !== '' && h.hash !== hashOf(j))
      return { conflict: new IdempotencyConflictError(j.idempotencyKey!) };
    return { job: created.get(h.jobId) ?? earlier.get(h.jobId)!, created: false };
  });
}

/** What an idempotency key remembers of a request: everything the caller chose, except the key. */
function hashOf(j: NewJob): string {
  const { idempotencyKey: _key, tenant: _tenant, ...request } = j;
  return requestHash(request);
}

/**
 * Fills what a submit left out from its type's declared defaults (the handler registry): pool,
 * retry budget and backoff, and each time limit. Done here, in the submit's transaction, so every
 * way in (REST, batch, gRPC, WebSocket, schedules) gets the same job, and the job as stored and
 * announced is the job that runs: the scheduler's watchdog knows the hard limit a handler
 * declared. A type nobody declared gets the fixed defaults. The idempotency hash is taken from
 * the request as sent, so a changed declaration does not turn a retried request into a conflict.
 */
async function withHandlerDefaults(
  tx: Tx,
  fresh: { j: NewJob; id: string }[],
): Promise<{ j: ResolvedJob; id: string }[]> {
  const declared = await handlerDefaults(
    tx,
    fresh.map(({ j }) => j.type),
  );
  return fresh.map(({ j, id }) => {
    const d = declared.get(j.type);
    const timeouts = d?.timeouts || j.timeouts ? { ...d?.timeouts, ...j.timeouts } : undefined;
    const backoff = j.backoff ?? d?.retry?.backoff;
    return {
      id,
      j: {
        ...j,
        pool: j.pool ?? d?.pool ?? DEFAULT_POOL,
        maxAttempts: j.maxAttempts ?? d?.retry?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        ...(timeouts ? { timeouts } : {}),
        ...(backoff ? { backoff } : {}),
      },
    };
  });
}

async function insertJobs(
  tx: Tx,
  fresh: { j: ResolvedJob; id: string }[],
  now: Date,
  trace: TraceCarrier | null,
): Promise<Map<string, JobRecord>> {
  if (fresh.length === 0) return new Map();
  const rows = fresh.map(({ j, id }) => ({
    id,
    tenant: j.tenant,
    type: j.type,
    pool: j.pool,
    priority: j.priority,
    payload: j.payload ?? {},
    max_attempts: j.maxAttempts,
    run_at: j.runAt ?? null,
    backoff: j.backoff ?? null,
    timeouts: j.timeouts ?? null,
    labels: j.labels ?? {},
    idempotency_key: j.idempotencyKey ?? null,
    concurrency: j.concurrency ?? null,
    trace_context: trace,
  }));
  const inserted = await tx.query<Record<string, unknown>>(
    `INSERT INTO jobs (id, tenant, type, pool, state, priority, payload, attempt, max_attempts, run_at,
                         backoff, timeouts, labels, idempotency_key, concurrency, trace_context, last_seq, version,
                         created_at, updated_at)
       SELECT id, tenant, type, pool, 'queued', priority, payload, 0, max_attempts, run_at,
              backoff, timeouts, labels, idempotency_key, concurrency, trace_context, 1, 1,
              $2::timestamptz, $2::timestamptz
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, tenant text, type text, pool text, priority smallint,
            payload jsonb, max_attempts int, run_at timestamptz, backoff jsonb, timeouts jsonb, labels jsonb,
            idempotency_key text, concurrency jsonb, trace_context jsonb)
       RETURNING *`,
    [JSON.stringify(rows), now.toISOString()],
  );
  const jobs = inserted.map(jobFromRow);
  await insertSubmittedEvents(tx, jobs, trace);
  return new Map(jobs.map((j) => [j.id, j]));
}

async function jobsById(tx: Tx, ids: string[]): Promise<Map<string, JobRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.query(`SELECT * FROM jobs WHERE id = ANY($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.id as string, jobFromRow(r)]));
}

/** seq 1 of every new job, and its `job.submitted` message for the scheduler. */
async function insertSubmittedEvents(tx: Tx, jobs: JobRecord[], trace: TraceCarrier | null): Promise<void> {
  if (jobs.length === 0) return;
  const messages = jobs.map((j) =>
    createMessage('job.submitted', {
      jobId: j.id,
      tenant: j.tenant,
      occurredAt: j.createdAt,
      data: {
        type: j.type,
        pool: j.pool,
        priority: j.priority,
        payload: j.payload,
        maxAttempts: j.maxAttempts,
        runAt: j.runAt?.toISOString() ?? null,
        backoff: (j.backoff as never) ?? null,
        timeouts: (j.timeouts as never) ?? null,
        labels: j.labels,
      },
    }),
  );
  const events = messages.map((m) => ({
    job_id: m.jobId,
    event_id: m.id,
    data: { pool: m.data.pool, priority: m.data.priority },
    occurred_at: m.occurredAt,
  }));
  await tx.query(
    `INSERT INTO job_events (job_id, seq, event_id, type, attempt, data, occurred_at)
     SELECT job_id, 1, event_id, 'submitted', NULL, data, occurred_at
     FROM jsonb_to_recordset($1::jsonb) AS r(job_id uuid, event_id uuid, data jsonb, occurred_at timestamptz)`,
    [JSON.stringify(events)],
  );
  await enqueueOutbox(
    tx,
    messages.map((m) => eventOutboxRow(m, trace)),
  );
}

/** The tenant's job, locked for the transaction; another tenant's job is not found. */
async function lockTenantJob(tx: Tx, tenant: string, id: string): Promise<JobRecord> {
  const [row] = await tx.query(`SELECT * FROM jobs WHERE id = $1 AND tenant = $2 FOR UPDATE`, [id, tenant]);
  if (!row) throw new JobNotFoundError(id);
  return jobFromRow(row);
}

export function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new InvalidCursorError();
  return id;
}

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this API returned');
  }
}
