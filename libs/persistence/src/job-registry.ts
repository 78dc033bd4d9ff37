import {
  createMessage,
  EVENTS_EXCHANGE,
  isTerminal,
  JobState,
  ListJobsQuery,
  SubmitJob,
  uuidv7,
} from '@jobplane/contracts';
import type { Database, Tx } from './database';
import { eventFromRow, JobEventRecord, jobFromRow, JobRecord } from './job-record';
import { enqueueOutbox, OutboxMessage } from './outbox';

export interface NewJob extends SubmitJob {
  tenant: string;
  pool: string;
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
export function eventOutboxRow(message: { id: string; type: string }): OutboxMessage {
  return {
    exchange: EVENTS_EXCHANGE,
    routingKey: message.type,
    messageId: message.id,
    body: JSON.stringify(message),
  };
}

/**
 * The api's side of the registry: create jobs (row + first event + outbox message in one
 * transaction), read them, and record cancel requests. State changes after creation belong to
 * the scheduler (see job-updates.ts).
 */
export class JobRegistry {
  constructor(private readonly db: Database) {}

  async submit(jobs: NewJob[]): Promise<SubmitResult[]> {
    if (jobs.length === 0) return [];
    return this.db.transaction((tx) => submitJobs(tx, jobs));
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
  async requestCancel(tenant: string, id: string, reason?: string): Promise<JobRecord> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query(`SELECT * FROM jobs WHERE id = $1 AND tenant = $2 FOR UPDATE`, [
        id,
        tenant,
      ]);
      if (!row) throw new JobNotFoundError(id);
      const job = jobFromRow(row);
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
      });
      await enqueueOutbox(tx, [eventOutboxRow(message)]);
      return jobFromRow(updated!);
    });
  }
}

/** Creates jobs inside the caller's transaction: rows, their first event, their outbox messages. */
export async function submitJobs(tx: Tx, jobs: NewJob[]): Promise<SubmitResult[]> {
  if (jobs.length === 0) return [];
  const now = new Date().toISOString();
  const rows = jobs.map((j) => ({
    id: uuidv7(),
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
  }));
  const inserted = await tx.query<Record<string, unknown>>(
    `INSERT INTO jobs (id, tenant, type, pool, state, priority, payload, attempt, max_attempts, run_at,
                         backoff, timeouts, labels, idempotency_key, concurrency, last_seq, version, created_at, updated_at)
       SELECT id, tenant, type, pool, 'queued', priority, payload, 0, max_attempts, run_at,
              backoff, timeouts, labels, idempotency_key, concurrency, 1, 1, $2::timestamptz, $2::timestamptz
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, tenant text, type text, pool text, priority smallint,
            payload jsonb, max_attempts int, run_at timestamptz, backoff jsonb, timeouts jsonb, labels jsonb,
            idempotency_key text, concurrency jsonb)
       ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING *`,
    [JSON.stringify(rows), now],
  );
  const created = new Map(inserted.map((r) => [r.id as string, jobFromRow(r)]));
  const existing = await existingByKey(tx, jobs, rows, created);

  const newJobs = [...created.values()];
  await insertSubmittedEvents(tx, newJobs);
  return rows.map((row, i) => {
    const job = created.get(row.id);
    if (job) return { job, created: true };
    return { job: existing.get(`${jobs[i]!.tenant}\u0000${jobs[i]!.idempotencyKey}`)!, created: false };
  });
}

async function existingByKey(
  tx: Tx,
  jobs: NewJob[],
  rows: { id: string }[],
  created: Map<string, JobRecord>,
): Promise<Map<string, JobRecord>> {
  const missing = jobs.filter((_, i) => !created.has(rows[i]!.id));
  const found = new Map<string, JobRecord>();
  if (missing.length === 0) return found;
  const existing = await tx.query(
    `SELECT * FROM jobs WHERE (tenant, idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [missing.map((j) => j.tenant), missing.map((j) => j.idempotencyKey)],
  );
  for (const r of existing) {
    const job = jobFromRow(r);
    found.set(`${job.tenant}\u0000${job.idempotencyKey}`, job);
  }
  return found;
}
/** seq 1 of every new job, and its `job.submitted` message for the scheduler. */
async function insertSubmittedEvents(tx: Tx, jobs: JobRecord[]): Promise<void> {
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
  await enqueueOutbox(tx, messages.map(eventOutboxRow));
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
