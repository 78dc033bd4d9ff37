import { MigrationInterface, QueryRunner } from 'typeorm';

/** Live workers (from heartbeats) and which worker runs each job, for the lost-worker watchdog. */
export class Workers1763800003000 implements MigrationInterface {
  name = 'Workers1763800003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE workers (
        id text PRIMARY KEY,
        host text NOT NULL,
        pid int NOT NULL,
        version text NOT NULL,
        pools jsonb NOT NULL,
        running jsonb NOT NULL DEFAULT '[]',
        draining boolean NOT NULL DEFAULT false,
        started_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL
      )`);
    await q.query(`ALTER TABLE jobs ADD COLUMN worker_id text`);
    await q.query(`CREATE INDEX jobs_running_worker ON jobs (worker_id) WHERE state = 'running'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_running_worker`);
    await q.query(`ALTER TABLE jobs DROP COLUMN worker_id`);
    await q.query(`DROP TABLE workers`);
  }
}
