import type { Tx } from './database';
import { jobFromRow, JobRecord } from './job-record';

/**
 * Serialises decisions about one (tenant, key) across transactions, so two dispatches can never
 * both see a free slot.
 */
export async function lockConcurrencyKey(tx: Tx, tenant: string, key: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`jobplane:key:${tenant}:${key}`]);
}

/** Jobs of the key dispatched and unfinished (what the key's limit bounds). */
export async function keyInFlight(tx: Tx, tenant: string, key: string): Promise<number> {
  const [row] = await tx.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM jobs
     WHERE tenant = $1 AND concurrency_key = $2 AND finished_at IS NULL
       AND (state = 'running' OR (state = 'queued' AND attempt > 0 AND run_at IS NULL AND NOT parked))`,
    [tenant, key],
  );
  return Number(row?.n ?? 0);
}

export async function parkJob(tx: Tx, jobId: string): Promise<void> {
  await tx.query(`UPDATE jobs SET parked = true, updated_at = now() WHERE id = $1 AND state = 'queued'`, [
    jobId,
  ]);
}

/** Takes up to `n` parked jobs of the key out of the parking lot, best first; returns them. */
export async function unparkJobs(tx: Tx, tenant: string, key: string, n: number): Promise<JobRecord[]> {
  if (n <= 0) return [];
  const rows = await tx.query(
    `UPDATE jobs SET parked = false, updated_at = now() WHERE id IN (
       SELECT id FROM jobs WHERE tenant = $1 AND concurrency_key = $2 AND parked AND state = 'queued'
       ORDER BY priority DESC, id LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [tenant, key, n],
  );
  return rows.map(jobFromRow);
}

/** Keys that have parked jobs, with their limit (from the oldest parked job). */
export async function parkedKeys(tx: Tx): Promise<{ tenant: string; key: string; limit: number }[]> {
  const rows = await tx.query<{ tenant: string; key: string; lim: number }>(
    `SELECT DISTINCT ON (tenant, concurrency_key) tenant, concurrency_key AS key, (concurrency->>'limit')::int AS lim
     FROM jobs WHERE parked AND state = 'queued' ORDER BY tenant, concurrency_key, id`,
  );
  return rows.map((r) => ({ tenant: r.tenant, key: r.key, limit: Number(r.lim) }));
}
