import { DEFAULT_TENANT } from '@jobplane/contracts';
import { Actor, recordAdminAction, SYSTEM_ACTOR_ID } from './admin-audit';
import type { Database, Tx } from './database';

export interface PoolSettings {
  name: string;
  /** Most jobs of this pool dispatched and unfinished at once (Rule A). */
  capacity: number;
  /** At most `max` dispatches per `perMs` (Rule B); null = unlimited. */
  rate: { max: number; perMs: number } | null;
  /** Paused by an operator until resumed. */
  paused: boolean;
  /** Paused by a handler's RateLimited error until then. */
  pausedUntil: Date | null;
  updatedAt: Date;
}

export interface PoolPatch {
  capacity?: number;
  rate?: { max: number; perMs: number } | null;
  paused?: boolean;
  pausedUntil?: Date | null;
}

type Row = Record<string, unknown>;

function fromRow(r: Row): PoolSettings {
  return {
    name: r.name as string,
    capacity: Number(r.capacity),
    rate: r.rate_max == null ? null : { max: Number(r.rate_max), perMs: Number(r.rate_per_ms) },
    paused: Boolean(r.paused),
    pausedUntil: r.paused_until == null ? null : new Date(r.paused_until as string),
    updatedAt: new Date(r.updated_at as string),
  };
}

/** The pools table plus the counts the conductor and the API derive from the job registry. */
export class PoolStore {
  constructor(private readonly db: Database) {}

  async list(): Promise<PoolSettings[]> {
    return (await this.db.query(`SELECT * FROM pools ORDER BY name`)).map(fromRow);
  }

  async get(name: string): Promise<PoolSettings | null> {
    const [row] = await this.db.query(`SELECT * FROM pools WHERE name = $1`, [name]);
    return row ? fromRow(row) : null;
  }

  /** Creates pools that do not exist yet; existing settings (changed at run time) are kept. */
  async seed(
    pools: { name: string; capacity: number; rate: { max: number; perMs: number } | null }[],
  ): Promise<void> {
    if (pools.length === 0) return;
    await this.db.query(
      `INSERT INTO pools (name, capacity, rate_max, rate_per_ms)
       SELECT name, capacity, rate_max, rate_per_ms FROM jsonb_to_recordset($1::jsonb)
         AS r(name text, capacity int, rate_max int, rate_per_ms int)
       ON CONFLICT (name) DO NOTHING`,
      [
        JSON.stringify(
          pools.map((p) => ({
            name: p.name,
            capacity: p.capacity,
            rate_max: p.rate?.max ?? null,
            rate_per_ms: p.rate?.perMs ?? null,
          })),
        ),
      ],
    );
  }

  /** Applies a patch, creating the pool with `defaultCapacity` if it was unknown. */
  async patch(
    name: string,
    patch: PoolPatch,
    defaultCapacity: number,
    actor: Actor = { tenant: DEFAULT_TENANT, id: SYSTEM_ACTOR_ID },
  ): Promise<PoolSettings> {
    const current = (await this.get(name)) ?? {
      name,
      capacity: defaultCapacity,
      rate: null,
      paused: false,
      pausedUntil: null,
    };
    const next = {
      capacity: patch.capacity ?? current.capacity,
      rate: patch.rate === undefined ? current.rate : patch.rate,
      paused: patch.paused ?? current.paused,
      pausedUntil: patch.pausedUntil === undefined ? current.pausedUntil : patch.pausedUntil,
    };
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query(
        `INSERT INTO pools (name, capacity, rate_max, rate_per_ms, paused, paused_until, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::timestamptz, now())
       ON CONFLICT (name) DO UPDATE SET capacity = EXCLUDED.capacity, rate_max = EXCLUDED.rate_max,
         rate_per_ms = EXCLUDED.rate_per_ms, paused = EXCLUDED.paused, paused_until = EXCLUDED.paused_until, updated_at = now()
       RETURNING *`,
        [
          name,
          next.capacity,
          next.rate?.max ?? null,
          next.rate?.perMs ?? null,
          next.paused,
          next.pausedUntil?.toISOString() ?? null,
        ],
      );
      await recordAdminAction(tx, actor, 'pool.updated', { kind: 'pool', id: name }, { patch });
      return fromRow(row!);
    });
  }

  /**
   * Jobs dispatched and not finished, per pool: running, or queued with a dispatch outstanding
   * (attempt > 0 and no retry pending). This is what capacity bounds.
   */
  async inFlight(): Promise<Map<string, number>> {
    const rows = await this.db.query<{ pool: string; n: string }>(
      `SELECT pool, count(*)::text AS n FROM jobs
       WHERE finished_at IS NULL AND (state = 'running' OR (state = 'queued' AND attempt > 0 AND run_at IS NULL AND NOT parked))
       GROUP BY pool`,
    );
    return new Map(rows.map((r) => [r.pool, Number(r.n)]));
  }

  /** Jobs dispatched and not finished, per tenant across pools (what tenant quotas bound). */
  async inFlightByTenant(): Promise<Map<string, number>> {
    const rows = await this.db.query<{ tenant: string; n: string }>(
      `SELECT tenant, count(*)::text AS n FROM jobs
       WHERE finished_at IS NULL AND (state = 'running' OR (state = 'queued' AND attempt > 0 AND run_at IS NULL AND NOT parked))
       GROUP BY tenant`,
    );
    return new Map(rows.map((r) => [r.tenant, Number(r.n)]));
  }

  /** Queued jobs not yet dispatched, per pool, with the age of the oldest. */
  async backlog(): Promise<Map<string, { depth: number; oldestAgeMs: number }>> {
    const rows = await this.db.query<{ pool: string; n: string; oldest: string }>(
      `SELECT pool, count(*)::text AS n, min(created_at) AS oldest FROM jobs
       WHERE state = 'queued' AND (attempt = 0 OR run_at IS NOT NULL) GROUP BY pool`,
    );
    return new Map(
      rows.map((r) => [
        r.pool,
        { depth: Number(r.n), oldestAgeMs: Math.max(0, Date.now() - new Date(r.oldest).getTime()) },
      ]),
    );
  }

  /** Undispatched jobs per pool and priority: count and age of the oldest (the KEDA signal). */
  async backlogByPriority(): Promise<
    { pool: string; priority: number; depth: number; oldestAgeMs: number }[]
  > {
    const rows = await this.db.query<{ pool: string; priority: number; n: string; oldest: string }>(
      `SELECT pool, priority, count(*)::text AS n, min(created_at) AS oldest FROM jobs
       WHERE state = 'queued' AND (attempt = 0 OR run_at IS NOT NULL) GROUP BY pool, priority`,
    );
    return rows.map((r) => ({
      pool: r.pool,
      priority: Number(r.priority),
      depth: Number(r.n),
      oldestAgeMs: Math.max(0, Date.now() - new Date(r.oldest).getTime()),
    }));
  }

  /** Pools that live workers (seen within `withinMs`) serve. */
  async served(withinMs = 60_000): Promise<string[]> {
    const rows = await this.db.query<{ pool: string }>(
      `SELECT DISTINCT p->>'pool' AS pool FROM workers, jsonb_array_elements(pools) AS p
       WHERE last_seen_at > now() - $1 * interval '1 millisecond'`,
      [withinMs],
    );
    return rows.map((r) => r.pool);
  }

  /** Tenants with undispatched jobs, per pool (the conductor's lanes). */
  async lanes(): Promise<Map<string, string[]>> {
    const rows = await this.db.query<{ pool: string; tenant: string }>(
      `SELECT DISTINCT pool, tenant FROM jobs WHERE state = 'queued' AND (attempt = 0 OR run_at IS NOT NULL) AND NOT parked`,
    );
    const lanes = new Map<string, string[]>();
    for (const r of rows) lanes.set(r.pool, [...(lanes.get(r.pool) ?? []), r.tenant]);
    return lanes;
  }

  /** How many undispatched jobs of the pool run before this one (priority, then age). */
  async position(job: { id: string; pool: string; priority: number }): Promise<number> {
    const [row] = await this.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM jobs
       WHERE pool = $1 AND state = 'queued' AND (attempt = 0 OR run_at IS NOT NULL)
         AND (run_at IS NULL OR run_at <= now())
         AND (priority > $2 OR (priority = $2 AND id < $3::uuid))`,
      [job.pool, job.priority, job.id],
    );
    return Number(row?.n ?? 0);
  }
}

/** Pauses a pool's dispatch until `until` (a handler said the pool is rate limited), inside the caller's transaction. */
export async function pausePoolUntil(
  tx: Tx,
  pool: string,
  until: Date,
  defaultCapacity: number,
): Promise<void> {
  await tx.query(
    `INSERT INTO pools (name, capacity, paused_until) VALUES ($1, $2, $3::timestamptz)
     ON CONFLICT (name) DO UPDATE SET paused_until = greatest(pools.paused_until, EXCLUDED.paused_until), updated_at = now()`,
    [pool, defaultCapacity, until.toISOString()],
  );
}
