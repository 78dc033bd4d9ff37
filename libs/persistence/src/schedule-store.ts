import {
  CreateScheduleRequest,
  nextRuns,
  PatchScheduleRequest,
  ScheduleTiming,
  uuidv7,
} from '@jobplane/contracts';
import { Actor, recordAdminAction, SYSTEM_ACTOR_ID } from './admin-audit';
import type { Database, Tx } from './database';

export interface ScheduleRecord extends ScheduleTiming {
  id: string;
  tenant: string;
  name: string | null;
  job: CreateScheduleRequest['job'];
  paused: boolean;
  nextRunAt: Date | null;
  lastFiredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const date = (v: unknown) => (v == null ? null : new Date(v as string));

export function scheduleFromRow(r: Record<string, unknown>): ScheduleRecord {
  return {
    id: r.id as string,
    tenant: r.tenant as string,
    name: (r.name as string | null) ?? null,
    cron: (r.cron as string | null) ?? null,
    timezone: (r.timezone as string | null) ?? null,
    everySeconds: r.every_seconds == null ? null : Number(r.every_seconds),
    job: r.job as ScheduleRecord['job'],
    paused: Boolean(r.paused),
    nextRunAt: date(r.next_run_at),
    lastFiredAt: date(r.last_fired_at),
    createdAt: date(r.created_at)!,
    updatedAt: date(r.updated_at)!,
  };
}

export class ScheduleNotFoundError extends Error {
  constructor(readonly scheduleId: string) {
    super(`schedule ${scheduleId} not found`);
  }
}

/** Schedules of a tenant (CRUD for the API); firing is the scheduler's (see `claimDueSchedules`). */
export class ScheduleStore {
  constructor(private readonly db: Database) {}

  async create(tenant: string, s: CreateScheduleRequest, actorId = SYSTEM_ACTOR_ID): Promise<ScheduleRecord> {
    const timing = {
      cron: s.cron ?? null,
      timezone: s.timezone ?? null,
      everySeconds: s.everySeconds ?? null,
    };
    const [row] = await this.write({ tenant, id: actorId }, 'schedule.created', (tx) =>
      tx.query(
        `INSERT INTO schedules (id, tenant, name, cron, timezone, every_seconds, job, paused, next_run_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::timestamptz) RETURNING *`,
        [
          uuidv7(),
          tenant,
          s.name ?? null,
          timing.cron,
          timing.timezone,
          timing.everySeconds,
          JSON.stringify(s.job),
          s.paused,
          nextRuns(timing, new Date())[0]!.toISOString(),
        ],
      ),
    );
    return scheduleFromRow(row!);
  }

  async get(tenant: string, id: string): Promise<ScheduleRecord> {
    const [row] = await this.db.query(`SELECT * FROM schedules WHERE id = $1 AND tenant = $2`, [id, tenant]);
    if (!row) throw new ScheduleNotFoundError(id);
    return scheduleFromRow(row);
  }

  async list(tenant: string): Promise<ScheduleRecord[]> {
    return (
      await this.db.query(`SELECT * FROM schedules WHERE tenant = $1 ORDER BY id DESC LIMIT 1000`, [tenant])
    ).map(scheduleFromRow);
  }

  async patch(
    tenant: string,
    id: string,
    p: PatchScheduleRequest,
    actorId = SYSTEM_ACTOR_ID,
  ): Promise<ScheduleRecord> {
    const current = await this.get(tenant, id);
    const retimed = p.cron !== undefined || p.everySeconds !== undefined || p.timezone !== undefined;
    const timing: ScheduleTiming = retimed
      ? {
          cron: p.cron ?? (p.everySeconds !== undefined ? null : current.cron),
          timezone: p.timezone ?? current.timezone,
          everySeconds: p.everySeconds ?? (p.cron !== undefined ? null : current.everySeconds),
        }
      : current;
    const [row] = await this.write(
      { tenant, id: actorId },
      'schedule.updated',
      (tx) =>
        tx.query(
          `UPDATE schedules SET name = $3, cron = $4, timezone = $5, every_seconds = $6, job = $7::jsonb, paused = $8,
         next_run_at = $9::timestamptz, updated_at = now()
       WHERE id = $1 AND tenant = $2 RETURNING *`,
          [
            id,
            tenant,
            p.name ?? current.name,
            timing.cron,
            timing.timezone,
            timing.everySeconds,
            JSON.stringify(p.job ?? current.job),
            p.paused ?? current.paused,
            (retimed ? nextRuns(timing, new Date())[0]! : current.nextRunAt)?.toISOString() ?? null,
          ],
        ),
      p,
    );
    return scheduleFromRow(row!);
  }

  async delete(tenant: string, id: string, actorId = SYSTEM_ACTOR_ID): Promise<void> {
    const rows = await this.write({ tenant, id: actorId }, 'schedule.deleted', (tx) =>
      tx.query(`DELETE FROM schedules WHERE id = $1 AND tenant = $2 RETURNING *`, [id, tenant]),
    );
    if (rows.length === 0) throw new ScheduleNotFoundError(id);
  }

  /** Runs the change and, if it touched a schedule, records the admin action in the same transaction. */
  private write(
    actor: Actor,
    action: 'schedule.created' | 'schedule.updated' | 'schedule.deleted',
    change: (tx: Tx) => Promise<Record<string, unknown>[]>,
    details: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>[]> {
    return this.db.transaction(async (tx) => {
      const rows = await change(tx);
      if (rows[0])
        await recordAdminAction(tx, actor, action, { kind: 'schedule', id: String(rows[0].id) }, details);
      return rows;
    });
  }
}

/** Locks due, unpaused schedules (SKIP LOCKED, so replicas never fire the same one at once). */
export async function claimDueSchedules(tx: Tx, limit: number): Promise<ScheduleRecord[]> {
  const rows = await tx.query(
    `SELECT * FROM schedules WHERE NOT paused AND next_run_at <= now() ORDER BY next_run_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows.map(scheduleFromRow);
}

export async function advanceSchedule(tx: Tx, id: string, firedAt: Date, nextRunAt: Date): Promise<void> {
  await tx.query(
    `UPDATE schedules SET last_fired_at = $2::timestamptz, next_run_at = $3::timestamptz WHERE id = $1`,
    [id, firedAt.toISOString(), nextRunAt.toISOString()],
  );
}
