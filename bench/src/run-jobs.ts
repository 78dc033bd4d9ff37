import type { Client } from 'pg';
import { summary } from './stats';

/** Waits until every job of the run is terminal (bounded), then measures and verifies them in SQL. */
export async function measureRun(pg: Client, runId: string, n: number, t0: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pg.query(
      `SELECT count(*)::int AS done FROM jobs WHERE labels->>'bench' = $1 AND state IN ('succeeded','failed','timeout','cancelled')`,
      [runId],
    );
    if (rows[0].done >= n) break;
    if (Date.now() > deadline)
      throw new Error(`only ${rows[0].done} of ${n} jobs finished within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const { rows } = await pg.query(
    `SELECT state,
            extract(epoch FROM created_at) * 1000 AS created,
            extract(epoch FROM started_at) * 1000 AS started,
            extract(epoch FROM finished_at) * 1000 AS finished,
            extract(epoch FROM updated_at) * 1000 AS persisted,
            (SELECT extract(epoch FROM min(e.occurred_at)) * 1000 FROM job_events e
              WHERE e.job_id = j.id AND e.type = 'dispatched') AS dispatched,
            (SELECT count(*)::int FROM job_events e WHERE e.job_id = j.id
               AND e.type IN ('succeeded','failed','timeout','cancelled')) AS terminal_events
     FROM jobs j WHERE labels->>'bench' = $1`,
    [runId],
  );
  const succeeded = rows.filter((r) => r.state === 'succeeded').length;
  const notOnce = rows.filter((r) => r.terminal_events !== 1).length;
  const lastPersisted = Math.max(...rows.map((r) => Number(r.persisted)));
  return {
    verified: rows.length === n && succeeded === n && notOnce === 0,
    succeeded,
    terminalNotExactlyOnce: notOnce,
    totalS: Math.round(lastPersisted - t0) / 1000,
    jobsPerS: Math.round((n / (lastPersisted - t0)) * 1000 * 10) / 10,
    // Where the wait is: before the dispatch (scheduler) or between dispatch and start (bus, worker).
    submitToDispatchMs: summary(rows.map((r) => Number(r.dispatched) - Number(r.created))),
    dispatchToStartMs: summary(rows.map((r) => Number(r.started) - Number(r.dispatched))),
    doneToPersistedMs: summary(rows.map((r) => Number(r.persisted) - Number(r.finished))),
    submitToStartMs: summary(rows.map((r) => Number(r.started) - Number(r.created))),
    submitToDoneMs: summary(rows.map((r) => Number(r.finished) - Number(r.created))),
  };
}
