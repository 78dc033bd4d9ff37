import type { Backoff, HandlerAnnouncement, WorkerHeartbeat } from '@jobplane/contracts';
import type { Database, Tx } from './database';

/** A handler as the registry knows it: the newest declaration, and how many live workers serve it. */
export interface HandlerTypeRecord {
  type: string;
  pool: string | null;
  execution: HandlerAnnouncement['execution'];
  timeouts?: { softMs?: number; hardMs?: number };
  retry?: { maxAttempts?: number; backoff?: Backoff };
  payloadSchema: Record<string, unknown> | null;
  /** Workers not offline that announce this type. */
  workers: number;
  declaredBy: string;
  updatedAt: Date;
}

/** The declared defaults a submit applies to what the caller left out. */
export type HandlerDefaults = Pick<HandlerTypeRecord, 'pool' | 'timeouts' | 'retry'>;

/**
 * Records the handlers announced in a batch of heartbeats. When workers disagree about a type
 * (a rolling deploy), the worker started last wins: the newest code is the one being rolled out.
 * A row is written only when the declaration changed, so steady heartbeats cost no writes here.
 */
export async function upsertHandlerTypes(tx: Tx, beats: WorkerHeartbeat[]): Promise<void> {
  const newest = new Map<string, { h: HandlerAnnouncement; workerId: string; startedAt: string }>();
  for (const b of beats) {
    for (const h of b.data.handlers ?? []) {
      const prev = newest.get(h.type);
      if (!prev || prev.startedAt < b.data.startedAt)
        newest.set(h.type, { h, workerId: b.workerId, startedAt: b.data.startedAt });
    }
  }
  if (newest.size === 0) return;
  const rows = [...newest.values()].map(({ h, workerId, startedAt }) => ({
    type: h.type,
    pool: h.pool,
    execution: h.execution,
    timeouts: h.timeouts ?? null,
    retry: h.retry ?? null,
    payload_schema: h.payloadSchema,
    declared_by: workerId,
    declared_by_started_at: startedAt,
  }));
  await tx.query(
    `INSERT INTO handler_types (type, pool, execution, timeouts, retry, payload_schema, declared_by,
                                declared_by_started_at, updated_at)
     SELECT type, pool, execution, timeouts, retry, payload_schema, declared_by, declared_by_started_at, now()
     FROM jsonb_to_recordset($1::jsonb) AS r(type text, pool text, execution text, timeouts jsonb, retry jsonb,
          payload_schema jsonb, declared_by text, declared_by_started_at timestamptz)
     ORDER BY type
     ON CONFLICT (type) DO UPDATE SET pool = EXCLUDED.pool, execution = EXCLUDED.execution,
       timeouts = EXCLUDED.timeouts, retry = EXCLUDED.retry, payload_schema = EXCLUDED.payload_schema,
       declared_by = EXCLUDED.declared_by, declared_by_started_at = EXCLUDED.declared_by_started_at,
       updated_at = now()
     WHERE handler_types.declared_by_started_at <= EXCLUDED.declared_by_started_at
       AND (handler_types.pool, handler_types.execution, handler_types.timeouts, handler_types.retry,
            handler_types.payload_schema, handler_types.declared_by)
           IS DISTINCT FROM
           (EXCLUDED.pool, EXCLUDED.execution, EXCLUDED.timeouts, EXCLUDED.retry, EXCLUDED.payload_schema,
            EXCLUDED.declared_by)`,
    [JSON.stringify(rows)],
  );
}

/** The declared defaults of the given types (types nobody announced are absent). */
export async function handlerDefaults(tx: Tx, types: string[]): Promise<Map<string, HandlerDefaults>> {
  if (types.length === 0) return new Map();
  const rows = await tx.query(`SELECT type, pool, timeouts, retry FROM handler_types WHERE type = ANY($1)`, [
    [...new Set(types)],
  ]);
  return new Map(
    rows.map((r) => [
      r.type as string,
      {
        pool: (r.pool as string | null) ?? null,
        ...(r.timeouts ? { timeouts: r.timeouts } : {}),
        ...(r.retry ? { retry: r.retry } : {}),
      },
    ]),
  );
}

/** The handler registry, read side. */
export class HandlerTypeStore {
  constructor(private readonly db: Database) {}

  /** Every declared handler type; `workers` counts those heard from within `lostAfterMs`. */
  async list(lostAfterMs: number): Promise<HandlerTypeRecord[]> {
    const rows = await this.db.query(
      `SELECT h.*, (SELECT count(*) FROM workers w
                    WHERE w.handlers @> jsonb_build_array(h.type)
                      AND w.last_seen_at >= now() - $1::bigint * interval '1 millisecond') AS workers
       FROM handler_types h ORDER BY h.type`,
      [lostAfterMs],
    );
    return rows.map((r) => ({
      type: r.type as string,
      pool: (r.pool as string | null) ?? null,
      execution: r.execution as HandlerTypeRecord['execution'],
      ...(r.timeouts ? { timeouts: r.timeouts } : {}),
      ...(r.retry ? { retry: r.retry } : {}),
      payloadSchema: (r.payload_schema as Record<string, unknown> | null) ?? null,
      workers: Number(r.workers),
      declaredBy: r.declared_by as string,
      updatedAt: new Date(r.updated_at as string),
    }));
  }
}
