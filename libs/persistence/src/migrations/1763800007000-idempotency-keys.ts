import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys move to their own table: each remembers the hash of the request that created
 * its job and expires (24 h), after which the same key creates a new job. `jobs.idempotency_key`
 * stays as a plain column (no longer unique: an expired key may be reused).
 */
export class IdempotencyKeys1763800007000 implements MigrationInterface {
  name = 'IdempotencyKeys1763800007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_keys (
        tenant text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        job_id uuid NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (tenant, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at)`);
    // Keys of existing jobs keep working for a day; their request hash is unknown ('' matches any body).
    await q.query(`
      INSERT INTO idempotency_keys (tenant, key, request_hash, job_id, expires_at)
      SELECT tenant, idempotency_key, '', id, created_at + interval '24 hours'
      FROM jobs WHERE idempotency_key IS NOT NULL AND created_at > now() - interval '24 hours'`);
    await q.query(`DROP INDEX jobs_tenant_idempotency_key`);
    // Label filters of the list endpoint.
    await q.query(`CREATE INDEX jobs_labels ON jobs USING gin (labels jsonb_path_ops)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_labels`);
    await q.query(
      `CREATE UNIQUE INDEX jobs_tenant_idempotency_key ON jobs (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`DROP TABLE idempotency_keys`);
  }
}
