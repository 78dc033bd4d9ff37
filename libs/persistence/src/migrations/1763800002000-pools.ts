import { MigrationInterface, QueryRunner } from 'typeorm';

/** Pool settings changed at run time (capacity, rate limit, pause); config seeds them at start. */
export class Pools1763800002000 implements MigrationInterface {
  name = 'Pools1763800002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pools (
        name text PRIMARY KEY,
        capacity int NOT NULL CHECK (capacity >= 0),
        rate_max int CHECK (rate_max > 0),
        rate_per_ms int CHECK (rate_per_ms > 0),
        paused boolean NOT NULL DEFAULT false,
        paused_until timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Position estimates and in-flight counts per pool.
    await q.query(
      `CREATE INDEX jobs_queued_pool_priority ON jobs (pool, priority DESC, id) WHERE state = 'queued'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_queued_pool_priority`);
    await q.query(`DROP TABLE pools`);
  }
}
