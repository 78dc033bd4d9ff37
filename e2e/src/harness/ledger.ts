import type { Client } from 'pg';
import { eventually } from '@jobplane/testing';
import type { Submitted } from './load';

const TERMINAL_EVENTS = ['succeeded', 'failed', 'timeout', 'cancelled'];

interface JobRow {
  id: string;
  state: string;
  terminal: number;
  starts: number;
  wait_ms: number | null;
}

/** The figures of one phase, from the registry's job_events (the record every service writes to). */
export interface PhaseFigures {
  phase: string;
  jobs: number;
  /** Jobs with no terminal event (after the settle timeout). */
  lost: number;
  /** Jobs with more than one terminal event: finished twice. */
  duplicated: number;
  /** Jobs started more than once (handed back or redelivered, then finished once). */
  repeated: number;
  /** Jobs that ended in another state than succeeded. */
  notSucceeded: number;
  /** Longest submit -> first start, ms. */
  maxWaitMs: number;
}

async function rows(pg: Client, ids: string[]): Promise<JobRow[]> {
  const r = await pg.query<JobRow>(
    `SELECT j.id, j.state,
            count(*) FILTER (WHERE e.type = ANY($2))::int AS terminal,
            count(*) FILTER (WHERE e.type = 'started')::int AS starts,
            (extract(epoch FROM min(e.occurred_at) FILTER (WHERE e.type = 'started') - j.created_at) * 1000)::int AS wait_ms
       FROM jobs j LEFT JOIN job_events e ON e.job_id = j.id
      WHERE j.id = ANY($1)
      GROUP BY j.id, j.state, j.created_at`,
    [ids, TERMINAL_EVENTS],
  );
  return r.rows;
}

/** Waits (up to `settleMs`) for every job to reach a terminal event, then computes figures per phase. */
export async function settle(pg: Client, jobs: Submitted[], settleMs = 60_000): Promise<PhaseFigures[]> {
  const ids = jobs.map((j) => j.id);
  const final = await eventually(() => rows(pg, ids), {
    until: (rs) => rs.length === ids.length && rs.every((r) => r.terminal > 0),
    timeoutMs: settleMs,
    intervalMs: 500,
    what: `${ids.length} jobs terminal`,
  }).catch(() => rows(pg, ids));
  const byId = new Map(final.map((r) => [r.id, r]));
  const phases = [...new Set(jobs.map((j) => j.phase))];
  return phases.map((phase) => {
    const mine = jobs.filter((j) => j.phase === phase).map((j) => byId.get(j.id));
    return {
      phase,
      jobs: mine.length,
      lost: mine.filter((r) => !r || r.terminal === 0).length,
      duplicated: mine.filter((r) => r && r.terminal > 1).length,
      repeated: mine.filter((r) => r && r.starts > 1).length,
      notSucceeded: mine.filter((r) => r && r.terminal > 0 && r.state !== 'succeeded').length,
      maxWaitMs: Math.max(0, ...mine.map((r) => r?.wait_ms ?? 0)),
    };
  });
}

/**
 * Samples, every 10 ms until stopped, how many lock requests on the schema's relations are waiting
 * (pg_locks not granted): the cost a migration imposes on the running services.
 */
export function watchLockWaits(
  pg: Client,
  schema: string,
): { stop(): Promise<{ maxWaiting: number; waitedMs: number }> } {
  let running = true;
  let maxWaiting = 0;
  let waitedMs = 0;
  const loop = (async () => {
    while (running) {
      const t = Date.now();
      const r = await pg.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks l
           JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace ns ON ns.oid = c.relnamespace
          WHERE NOT l.granted AND ns.nspname = $1`,
        [schema],
      );
      const n = r.rows[0]?.n ?? 0;
      maxWaiting = Math.max(maxWaiting, n);
      await new Promise((res) => setTimeout(res, 10));
      if (n > 0) waitedMs += Date.now() - t;
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { maxWaiting, waitedMs };
    },
  };
}

/** Starts per worker version (worker ids are `worker-<version>-<n>`): who ran the jobs. */
export async function startsByWorkerVersion(pg: Client, ids: string[]): Promise<Record<string, number>> {
  const r = await pg.query<{ version: string; n: number }>(
    `SELECT split_part(e.data->>'workerId', '-', 2) AS version, count(*)::int AS n
       FROM job_events e WHERE e.job_id = ANY($1) AND e.type = 'started' GROUP BY 1 ORDER BY 1`,
    [ids],
  );
  return Object.fromEntries(r.rows.map((row) => [row.version, row.n]));
}
