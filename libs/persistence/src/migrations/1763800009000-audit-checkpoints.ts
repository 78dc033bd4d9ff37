import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit retention: purging a tenant's oldest records leaves a checkpoint (the last purged record's
 * seq and hash) so the remaining chain still verifies from it. Checkpoints are append-only too.
 * Also indexes the trail for the query API (by tenant and time, actor and type).
 */
export class AuditCheckpoints1763800009000 implements MigrationInterface {
  name = 'AuditCheckpoints1763800009000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_checkpoints (
        tenant text NOT NULL,
        through_seq bigint NOT NULL,
        through_hash text NOT NULL,
        purged_count bigint NOT NULL,
        purged_before timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, through_seq)
      )`);
    await q.query(`
      CREATE FUNCTION audit_checkpoint_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit checkpoints are append-only (% refused)', TG_OP;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
      FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_refuse_change()`);
    await q.query(`CREATE INDEX audit_records_tenant_time ON audit_records (tenant, occurred_at, id)`);
    await q.query(`CREATE INDEX audit_records_tenant_actor ON audit_records (tenant, actor, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_records_tenant_actor`);
    await q.query(`DROP INDEX audit_records_tenant_time`);
    await q.query(`DROP TABLE audit_checkpoints`);
    await q.query(`DROP FUNCTION audit_checkpoint_refuse_change()`);
  }
}
