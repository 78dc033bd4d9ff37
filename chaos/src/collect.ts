import type { Client } from 'pg';
import type { AuditRow, EventRow, JobRow } from './history';

const ms = (v: unknown) => (v === null ? null : Number(v));

/**
 * Reads the run's jobs (by label) and their events from the stack's schema, and their audit records
 * from the audit service's own schema.
 */
export async function collectRegistry(
  pg: Client,
  schema: string,
  auditSchema: string,
  runId: string,
): Promise<{ jobs: JobRow[]; events: EventRow[]; audit: AuditRow[] }> {
  const jobs = await pg.query(
    `SELECT id, state, attempt, max_attempts, idempotency_key,
            extract(epoch FROM created_at) * 1000 AS created, extract(epoch FROM finished_at) * 1000 AS finished
     FROM "${schema}".jobs WHERE labels->>'chaos' = $1`,
    [runId],
  );
  const ids = jobs.rows.map((r) => r.id as string);
  const events = await pg.query(
    `SELECT job_id, seq, type, attempt, event_id, extract(epoch FROM occurred_at) * 1000 AS occurred FROM "${schema}".job_events
     WHERE job_id = ANY($1::uuid[]) ORDER BY job_id, seq`,
    [ids],
  );
  const audit = await pg.query(
    `SELECT id, job_id, event_id, type FROM "${auditSchema}".audit_records WHERE job_id = ANY($1::uuid[]) ORDER BY id`,
    [ids],
  );
  return {
    jobs: jobs.rows.map((r) => ({
      id: r.id,
      state: r.state,
      attempt: r.attempt,
      maxAttempts: r.max_attempts,
      idempotencyKey: r.idempotency_key,
      createdAt: Number(r.created),
      finishedAt: ms(r.finished),
    })),
    events: events.rows.map((r) => ({
      jobId: r.job_id,
      seq: r.seq,
      type: r.type,
      attempt: r.attempt,
      eventId: r.event_id,
      occurredAt: Number(r.occurred),
    })),
    audit: audit.rows.map((r) => ({ id: Number(r.id), jobId: r.job_id, eventId: r.event_id, type: r.type })),
  };
}

/** Jobs of the run not yet terminal. */
export async function unfinishedCount(pg: Client, schema: string, runId: string): Promise<number> {
  const { rows } = await pg.query(
    `SELECT count(*)::int AS n FROM "${schema}".jobs
     WHERE labels->>'chaos' = $1 AND state NOT IN ('succeeded','failed','timeout','cancelled')`,
    [runId],
  );
  return rows[0].n;
}
