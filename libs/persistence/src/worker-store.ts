import type { WorkerHeartbeat } from '@jobplane/contracts';
import type { Database, Tx } from './database';
import { upsertHandlerTypes } from './handler-type-store';
import { jobFromRow, JobRecord } from './job-record';

/** online: heard from within the lost-after period; draining: stopping (takes no new work); offline: silent. */
export type WorkerState = 'online' | 'draining' | 'offline';

export interface WorkerRecord {
  id: string;
  host: string;
  pid: number;
  version: string;
  pools: { pool: string; concurrency: number }[];
  running: { jobId: string; attempt: number; pool?: string }[];
  draining: boolean;
  /** Types of the handlers it serves (empty for workers older than the handler registry). */
  handlers: string[];
  startedAt: Date;
  lastSeenAt: Date;
  /** Only from `list(lostAfterMs)`. */
  state?: WorkerState;
}

/** Workers as their heartbeats describe them. */
export class WorkerStore {
  constructor(private readonly db: Database) {}

  /**
   * Records a batch of heartbeats (latest per worker wins) in one statement, and the handlers they
   * declare in the handler registry (in the same transaction).
   */
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
      // null: an older worker that does not say; what it said before stays.
      handlers: b.data.handlers?.map((h) => h.type) ?? null,
      started_at: b.data.startedAt,
      // The scheduler's clock decides liveness, so clock skew between hosts cannot kill a worker.
    }));
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO workers (id, host, pid, version, pools, running, draining, handlers, started_at, last_seen_at)
         SELECT id, host, pid, version, pools, running, draining, handlers, started_at, now()
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, host text, pid int, version text, pools jsonb,
              running jsonb, draining boolean, handlers jsonb, started_at timestamptz)
         ORDER BY id
         ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, version = EXCLUDED.version,
           pools = EXCLUDED.pools, running = EXCLUDED.running, draining = EXCLUDED.draining,
           handlers = coalesce(EXCLUDED.handlers, workers.handlers),
           started_at = EXCLUDED.started_at, last_seen_at = now()`,
        [JSON.stringify(rows)],
      );
      await upsertHandlerTypes(tx, [...latest.values()]);
    });
  }

  /** Every known worker with its state; silent for `lostAfterMs` (the scheduler's clock) = offline. */
  async list(lostAfterMs = Number.MAX_SAFE_INTEGER): Promise<WorkerRecord[]> {
    const rows = await this.db.query(
      `SELECT *, last_seen_at < now() - $1::bigint * interval '1 millisecond' AS offline
       FROM workers ORDER BY id`,
      [Math.min(lostAfterMs, 100 * 365 * 86_400_000)],
    );
    return rows.map((r) => {
      const draining = Boolean(r.draining);
      const state: WorkerState = r.offline ? 'offline' : draining ? 'draining' : 'online';
      return {
        id: r.id as string,
        host: r.host as string,
        pid: Number(r.pid),
        version: r.version as string,
        pools: r.pools as WorkerRecord['pools'],
        running: r.running as WorkerRecord['running'],
        draining,
        handlers: (r.handlers as string[] | null) ?? [],
        startedAt: new Date(r.started_at as string),
        lastSeenAt: new Date(r.last_seen_at as string),
        state,
      };
    });
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
 * Locked for the caller's transaction: an attempt claimed meanwhile (`decideClaim`, which moves the
 * job's start) is re-checked against these conditions and skipped, never abandoned under its owner.
 */
export async function jobsOfLostWorkers(tx: Tx, lostAfterMs: number, limit: number): Promise<JobRecord[]> {
  const rows = await tx.query(
    `SELECT j.* FROM jobs j LEFT JOIN workers w ON w.id = j.worker_id
     WHERE j.state = 'running'
       AND (w.id IS NULL OR w.last_seen_at < now() - $1 * interval '1 millisecond' OR w.started_at > j.started_at)
       AND j.started_at < now() - $1 * interval '1 millisecond'
     ORDER BY j.id LIMIT $2
     FOR UPDATE OF j SKIP LOCKED`,
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
