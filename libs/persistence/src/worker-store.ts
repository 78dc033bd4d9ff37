import type { WorkerHeartbeat } from '@jobplane/contracts';
import type { Database, Tx } from './database';
import { jobFromRow, JobRecord } from './job-record';

export interface WorkerRecord {
  id: string;
  host: string;
  pid: number;
  version: string;
  pools: { pool: string; concurrency: number }[];
  running: { jobId: string; attempt: number }[];
  draining: boolean;
  startedAt: Date;
  lastSeenAt: Date;
}

/** Workers as their heartbeats describe them. */
export class WorkerStore {
  constructor(private readonly db: Database) {}

  /** Records a batch of heartbeats (latest per worker wins) in one statement. */
  async record(beats: WorkerHeartbeat[]): Promise<void> {
    const latest = new Map<string, WorkerHeartbeat>();
    for (const b of beats) {
      const prev = latest.get(b.workerId);
      if (!prev || prev.occurredAt < b.occurredAt) latest.set(b.workerId, b);
    }
    if (latest.size === 0) return;
    const rows = [...latest.values()].map((b) => ({
      id: b.workerId,
      host: b.data.host,
      pid: b.data.pid,
      version: b.data.version,
      pools: b.data.pools,
      running: b.data.running,
      draining: b.data.draining,
      started_at: b.data.startedAt,
      // The scheduler's clock decides liveness, so clock skew between hosts cannot kill a worker.
    }));
    await this.db.query(
      `INSERT INTO workers (id, host, pid, version, pools, running, draining, started_at, last_seen_at)
       SELECT id, host, pid, version, pools, running, draining, started_at, now()
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, host text, pid int, version text, pools jsonb, running jsonb,
            draining boolean, started_at timestamptz)
       ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, version = EXCLUDED.version,
         pools = EXCLUDED.pools, running = EXCLUDED.running, draining = EXCLUDED.draining,
         started_at = EXCLUDED.started_at, last_seen_at = now()`,
      [JSON.stringify(rows)],
    );
  }

  async list(): Promise<WorkerRecord[]> {
    const rows = await this.db.query(`SELECT * FROM workers ORDER BY id`);
    return rows.map((r) => ({
      id: r.id as string,
      host: r.host as string,
      pid: Number(r.pid),
      version: r.version as string,
      pools: r.pools as WorkerRecord['pools'],
      running: r.running as WorkerRecord['running'],
      draining: Boolean(r.draining),
      startedAt: new Date(r.started_at as string),
      lastSeenAt: new Date(r.last_seen_at as string),
    }));
  }

  /** Newest heartbeat received from any worker (null: none ever). */
  async newestHeartbeat(): Promise<Date | null> {
    const [row] = await this.db.query<{ at: string | null }>(`SELECT max(last_seen_at) AS at FROM workers`);
    return row?.at ? new Date(row.at) : null;
  }

  /** Forgets workers silent for longer than `olderThanMs` (their jobs were handled by then). */
  async prune(olderThanMs: number): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM workers WHERE last_seen_at < now() - $1 * interval '1 millisecond' RETURNING id`,
      [olderThanMs],
    );
    return rows.length;
  }
}

/**
 * Running jobs whose worker has not been heard from within `lostAfterMs`, is unknown, or restarted
 * since the job started (a new incarnation under the same id does not run its predecessor's jobs).
 */
export async function jobsOfLostWorkers(tx: Tx, lostAfterMs: number, limit: number): Promise<JobRecord[]> {
  const rows = await tx.query(
    `SELECT j.* FROM jobs j LEFT JOIN workers w ON w.id = j.worker_id
     WHERE j.state = 'running'
       AND (w.id IS NULL OR w.last_seen_at < now() - $1 * interval '1 millisecond' OR w.started_at > j.started_at)
       AND j.started_at < now() - $1 * interval '1 millisecond'
     ORDER BY j.id LIMIT $2`,
    [lostAfterMs, limit],
  );
  return rows.map(jobFromRow);
}

/** Running jobs past their hard time limit (`timeouts.hardMs`, else the default) plus a grace. */
export async function jobsPastHardLimit(
  tx: Tx,
  defaultHardMs: number,
  graceMs: number,
  limit: number,
): Promise<JobRecord[]> {
  const rows = await tx.query(
    `SELECT * FROM jobs
     WHERE state = 'running'
       AND coalesce((timeouts->>'hardMs')::bigint, NULLIF($1::bigint, 0)) IS NOT NULL
       AND started_at + (coalesce((timeouts->>'hardMs')::bigint, $1::bigint) + $2::bigint) * interval '1 millisecond' < now()
     ORDER BY id LIMIT $3`,
    [defaultHardMs, graceMs, limit],
  );
  return rows.map(jobFromRow);
}
