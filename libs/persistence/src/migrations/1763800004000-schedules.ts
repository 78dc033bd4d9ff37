import { MigrationInterface, QueryRunner } from 'typeorm';

/** Cron and every-N-seconds schedules; the scheduler fires them when next_run_at is due. */
export class Schedules1763800004000 implements MigrationInterface {
  name = 'Schedules1763800004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE schedules (
        id uuid PRIMARY KEY,
        tenant text NOT NULL,
        name text,
        cron text,
        timezone text,
        every_seconds int,
        job jsonb NOT NULL,
        paused boolean NOT NULL DEFAULT false,
        next_run_at timestamptz,
        last_fired_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((cron IS NULL) <> (every_seconds IS NULL))
      )`);
    await q.query(`CREATE INDEX schedules_due ON schedules (next_run_at) WHERE NOT paused`);
    await q.query(`CREATE INDEX schedules_tenant ON schedules (tenant, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE schedules`);
  }
}
