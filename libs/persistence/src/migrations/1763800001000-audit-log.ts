import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail (its own tables, in the configured schema so test schemas stay isolated): append-only (a trigger refuses UPDATE and DELETE), each
 * record hashing the previous record of its tenant, duplicates refused by event id.
 */
export class AuditLog1763800001000 implements MigrationInterface {
  name = 'AuditLog1763800001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_records (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        tenant text NOT NULL,
        tenant_seq bigint NOT NULL,
        job_id uuid,
        type text NOT NULL,
        actor text,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        body jsonb NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        UNIQUE (tenant, tenant_seq)
      )`);
    await q.query(`CREATE INDEX audit_records_job_id ON audit_records (job_id, id)`);
    await q.query(`
      CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('jobplane.audit_purge', true) = 'on' AND TG_OP = 'DELETE' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit records are append-only (% refused)', TG_OP;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
      FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_records`);
    await q.query(`DROP FUNCTION audit_refuse_change()`);
  }
}
