import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The result store (claim check): results over RESULT_INLINE_MAX_BYTES live in job_results, one row
 * per job, deleted with the job (so they share its retention); the job keeps a small reference.
 */
export class JobResults1763800008000 implements MigrationInterface {
  name = 'JobResults1763800008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE job_results (
        job_id uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
        tenant text NOT NULL,
        content_type text NOT NULL,
        size_bytes int NOT NULL,
        body bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE jobs ADD COLUMN result_ref jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN result_ref`);
    await q.query(`DROP TABLE job_results`);
  }
}
