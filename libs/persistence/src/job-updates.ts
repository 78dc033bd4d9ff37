import type { JobError, JobState, Progress } from '@jobplane/contracts';
import type { Tx } from './database';
import { jobFromRow, JobRecord, ResultRef } from './job-record';

/** Columns a guarded update may set. */
export interface JobPatch {
  state?: JobState;
  attempt?: number;
  maxAttempts?: number;
  result?: unknown;
  /** Set when the result went to the result store instead of `result`. */
  resultRef?: ResultRef | null;
  error?: JobError | null;
  progress?: Progress | null;
  runAt?: Date | null;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  workerId?: string | null;
}

export interface JobEventInput {
  /** Id of the causing message; unique in job_events. */
  id: string;
  type: string;
  attempt: number | null;
  data: unknown;
  occurredAt: Date;
}

/**
 * A conditional change: applied only if the job is in one of `fromStates` (and at `attempt`, when
 * given), which is how late, duplicated or stale-attempt events are fenced out.
 */
export interface GuardedUpdate {
  jobId: string;
  fromStates: readonly JobState[];
  attempt?: number;
  set: JobPatch;
  event: JobEventInput;
}

const COLUMNS: Record<keyof JobPatch, { column: string; cast: string; json?: boolean }> = {
  state: { column: 'state', cast: 'text' },
  attempt: { column: 'attempt', cast: 'int' },
  maxAttempts: { column: 'max_attempts', cast: 'int' },
  result: { column: 'result', cast: 'jsonb', json: true },
  resultRef: { column: 'result_ref', cast: 'jsonb', json: true },
  error: { column: 'error', cast: 'jsonb', json: true },
  progress: { column: 'progress', cast: 'jsonb', json: true },
  runAt: { column: 'run_at', cast: 'timestamptz' },
  startedAt: { column: 'started_at', cast: 'timestamptz' },
  finishedAt: { column: 'finished_at', cast: 'timestamptz' },
  workerId: { column: 'worker_id', cast: 'text' },
};

function encode(value: unknown, json?: boolean): unknown {
  if (value === null || value === undefined) return null;
  if (json) return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  return value;
}

/**
 * Applies a guarded update and appends its event (next seq) in one statement. Returns the updated
 * job, or null when the guard rejected it (nothing is written then).
 */
export async function applyGuardedUpdate(tx: Tx, u: GuardedUpdate): Promise<JobRecord | null> {
  const params: unknown[] = [u.jobId, u.fromStates];
  const sets = ['last_seq = last_seq + 1', 'version = version + 1', 'updated_at = now()'];
  for (const [key, value] of Object.entries(u.set) as [keyof JobPatch, unknown][]) {
    if (value === undefined) continue;
    const col = COLUMNS[key];
    params.push(encode(value, col.json));
    sets.push(`${col.column} = $${params.length}::${col.cast}`);
  }
  let guard = 'id = $1 AND state = ANY($2::text[])';
  if (u.attempt !== undefined) {
    params.push(u.attempt);
    guard += ` AND attempt = $${params.length}`;
  }
  const e = u.event;
  params.push(e.id, e.type, e.attempt, JSON.stringify(e.data ?? {}), e.occurredAt.toISOString());
  const n = params.length;
  const rows = await tx.query(
    `WITH moved AS (
       UPDATE jobs SET ${sets.join(', ')} WHERE ${guard} RETURNING *
     ), appended AS (
       INSERT INTO job_events (job_id, seq, event_id, type, attempt, data, occurred_at)
       SELECT id, last_seq, $${n - 4}::uuid, $${n - 3}, $${n - 2}::int, $${n - 1}::jsonb, $${n}::timestamptz FROM moved
     )
     SELECT * FROM moved`,
    params,
  );
  return rows[0] ? jobFromRow(rows[0]) : null;
}

/** Which of these message ids are already recorded (a redelivered message is applied once). */
export async function recordedEventIds(tx: Tx, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.query<{ event_id: string }>(
    `SELECT event_id FROM job_events WHERE event_id = ANY($1::uuid[])`,
    [ids],
  );
  return new Set(rows.map((r) => r.event_id));
}

export async function lockJob(tx: Tx, jobId: string): Promise<JobRecord | null> {
  const [row] = await tx.query(`SELECT * FROM jobs WHERE id = $1 FOR UPDATE`, [jobId]);
  return row ? jobFromRow(row) : null;
}

/** Queued jobs waiting for a dispatch (new, delayed or retrying), in id order after `afterId`. */
export async function undispatchedJobs(
  tx: Tx,
  limit: number,
  olderThan: Date,
  afterId: string | null = null,
): Promise<JobRecord[]> {
  // A job whose `job.submitted` is still in the outbox (its relay waits for the broker) is left to
  // that message: dispatched before it, the job's trail would begin with its dispatch (chaos, (7)).
  const rows = await tx.query(
    `SELECT j.* FROM jobs j WHERE j.state = 'queued' AND j.created_at < $1::timestamptz
       AND (j.attempt = 0 OR j.run_at IS NOT NULL) AND NOT j.parked AND ($3::uuid IS NULL OR j.id > $3::uuid)
       AND NOT EXISTS (SELECT 1 FROM job_events e JOIN outbox o ON o.message_id = e.event_id
                       WHERE e.job_id = j.id AND e.seq = 1)
     ORDER BY j.id LIMIT $2`,
    [olderThan.toISOString(), limit, afterId],
  );
  return rows.map(jobFromRow);
}

/**
 * Gives a job that has no trace context (submitted with tracing off, or before it was stored) the
 * one of the span now acting on it, so its later attempts join that trace. Returns the job as stored.
 */
export async function adoptTraceContext(
  tx: Tx,
  job: JobRecord,
  carrier: Record<string, string>,
): Promise<JobRecord> {
  if (job.traceContext || Object.keys(carrier).length === 0) return job;
  await tx.query(`UPDATE jobs SET trace_context = $2::jsonb WHERE id = $1 AND trace_context IS NULL`, [
    job.id,
    JSON.stringify(carrier),
  ]);
  return { ...job, traceContext: carrier };
}

/** Events that end an attempt: once one is recorded, any later outcome of that attempt is stale. */
const ATTEMPT_ENDING_EVENTS = [
  'succeeded',
  'failed',
  'timeout',
  'cancelled',
  'retrying',
  'worker_lost',
  'rate_limited',
];

/**
 * Whether this attempt of the job already ended. A job waiting for its next attempt is `queued`
 * at the same attempt number as a job whose attempt was dispatched but not started, so the state
 * and attempt guard alone cannot tell a late outcome of an abandoned attempt from a real one.
 */
export async function attemptEnded(tx: Tx, jobId: string, attempt: number): Promise<boolean> {
  const rows = await tx.query(
    `SELECT 1 FROM job_events WHERE job_id = $1 AND attempt = $2 AND type = ANY($3::text[]) LIMIT 1`,
    [jobId, attempt, ATTEMPT_ENDING_EVENTS],
  );
  return rows.length > 0;
}

/** Locks several jobs at once (in id order, as every bulk locker does, so they cannot deadlock). */
export async function lockJobs(tx: Tx, jobIds: string[]): Promise<Map<string, JobRecord>> {
  if (jobIds.length === 0) return new Map();
  const rows = await tx.query(`SELECT * FROM jobs WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [
    jobIds,
  ]);
  return new Map(rows.map((r) => [r.id as string, jobFromRow(r)]));
}

/**
 * The same guarded update for many jobs in one statement (one round trip instead of one each):
 * every update must name a different job, the same `fromStates`, the same patch columns, and all
 * or none an `attempt`. Each row keeps its own guard, values and event, so the outcome per job is
 * exactly what `applyGuardedUpdate` would have done; the result is in input order (null: fenced).
 */
export async function applyGuardedUpdates(
  tx: Tx,
  us: GuardedUpdate[],
  /** A further condition on the job row `j` (trusted SQL, no parameters), e.g. `j.run_at IS NULL`. */
  alsoWhere?: string,
): Promise<(JobRecord | null)[]> {
  if (us.length === 0) return [];
  const first = us[0]!;
  const keys = (Object.keys(first.set) as (keyof JobPatch)[]).filter((k) => first.set[k] !== undefined);
  const withAttempt = first.attempt !== undefined;
  const from = first.fromStates.join();
  for (const u of us) {
    const same =
      (u.attempt !== undefined) === withAttempt &&
      u.fromStates.join() === from &&
      keys.every((k) => u.set[k] !== undefined) &&
      Object.values(u.set).filter((v) => v !== undefined).length === keys.length;
    if (!same) throw new Error('applyGuardedUpdates: updates of different shapes');
  }
  const params: unknown[] = [first.fromStates];
  const columns: string[] = [];
  const array = (name: string, cast: string, values: unknown[]) => {
    params.push(values);
    columns.push(`$${params.length}::${cast}[]`);
    return name;
  };
  const names = [
    array(
      'job_id',
      'uuid',
      us.map((u) => u.jobId),
    ),
  ];
  if (withAttempt)
    names.push(
      array(
        'guard_attempt',
        'int',
        us.map((u) => u.attempt),
      ),
    );
  const sets = ['last_seq = j.last_seq + 1', 'version = j.version + 1', 'updated_at = now()'];
  keys.forEach((k, i) => {
    const col = COLUMNS[k];
    names.push(
      array(
        `c${i}`,
        col.cast,
        us.map((u) => encode(u.set[k], col.json)),
      ),
    );
    sets.push(`${col.column} = i.c${i}`);
  });
  names.push(
    array(
      'e_id',
      'uuid',
      us.map((u) => u.event.id),
    ),
    array(
      'e_type',
      'text',
      us.map((u) => u.event.type),
    ),
    array(
      'e_attempt',
      'int',
      us.map((u) => u.event.attempt),
    ),
    array(
      'e_data',
      'jsonb',
      us.map((u) => JSON.stringify(u.event.data ?? {})),
    ),
    array(
      'e_at',
      'timestamptz',
      us.map((u) => u.event.occurredAt.toISOString()),
    ),
  );
  const rows = await tx.query(
    `WITH i AS (
       SELECT * FROM unnest(${columns.join(', ')}) WITH ORDINALITY AS t(${names.join(', ')}, ord)
     ), moved AS (
       UPDATE jobs j SET ${sets.join(', ')} FROM i
       WHERE j.id = i.job_id AND j.state = ANY($1::text[])${withAttempt ? ' AND j.attempt = i.guard_attempt' : ''}${alsoWhere ? ` AND (${alsoWhere})` : ''}
       RETURNING j.*, i.ord AS input_ord
     ), appended AS (
       INSERT INTO job_events (job_id, seq, event_id, type, attempt, data, occurred_at)
       SELECT m.id, m.last_seq, i.e_id, i.e_type, i.e_attempt, i.e_data, i.e_at FROM moved m JOIN i ON i.ord = m.input_ord
     )
     SELECT * FROM moved`,
    params,
  );
  const out: (JobRecord | null)[] = us.map(() => null);
  for (const r of rows) out[Number(r.input_ord) - 1] = jobFromRow(r);
  return out;
}

/**
 * Guard condition (on the job row `j`, for `applyGuardedUpdates`) that its current attempt has no
 * ending event: the in-statement form of `attemptEnded`, so a bulk start costs no extra round trip.
 */
export const ATTEMPT_NOT_ENDED_SQL = `NOT EXISTS (SELECT 1 FROM job_events e WHERE e.job_id = j.id
  AND e.attempt = j.attempt AND e.type IN (${ATTEMPT_ENDING_EVENTS.map((t) => `'${t}'`).join(', ')}))`;
