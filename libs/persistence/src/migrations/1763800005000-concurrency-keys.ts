import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Concurrency keys: at most N dispatched jobs per (tenant, key). A job whose key is full is parked
 * (out of the backlog) until a job with its key finishes.
 */
export class ConcurrencyKeys1763800005000 implements MigrationInterface {
  name = 'ConcurrencyKeys1763800005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN concurrency jsonb`);
    await q.query(
      `ALTER TABLE jobs ADD COLUMN concurrency_key text GENERATED ALWAYS AS (concurrency->>'key') STORED`,
    );
    await q.query(`ALTER TABLE jobs ADD COLUMN parked boolean NOT NULL DEFAULT false`);
    await q.query(
      `CREATE INDEX jobs_concurrency_key ON jobs (tenant, concurrency_key) WHERE concurrency_key IS NOT NULL AND finished_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_concurrency_key`);
    await q.query(`ALTER TABLE jobs DROP COLUMN parked`);
    await q.query(`ALTER TABLE jobs DROP COLUMN concurrency_key`);
    await q.query(`ALTER TABLE jobs DROP COLUMN concurrency`);
  }
}
