import type { Database } from './database';

/**
 * Deletes terminal jobs that finished more than `olderThanSeconds` ago, `batchSize` at a time
 * (their events go with them by cascade), so a large purge never holds long locks. Returns how
 * many jobs it removed.
 */
export async function purgeExpiredJobs(
  db: Database,
  olderThanSeconds: number,
  batchSize = 1_000,
  maxBatches = 100,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const rows = await db.query(
      `DELETE FROM jobs WHERE id IN (
         SELECT id FROM jobs
         WHERE finished_at IS NOT NULL AND finished_at < now() - $1 * interval '1 second'
           AND state IN ('succeeded', 'failed', 'timeout', 'cancelled')
         ORDER BY finished_at LIMIT $2
         FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [olderThanSeconds, batchSize],
    );
    total += rows.length;
    if (rows.length < batchSize) break;
  }
  return total;
}
