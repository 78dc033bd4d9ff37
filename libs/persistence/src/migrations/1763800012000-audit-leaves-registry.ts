import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail moved to the audit service's own schema (AUDIT_DB_SCHEMA), which that service
 * migrates: it moves an older install's `audit_records` and `audit_checkpoints` there with their
 * rows. What 1763800001000 and 1763800009000 still create here on a fresh install is empty, and is
 * dropped, so the registry's schema holds no second, stale trail. A trail with rows is never
 * dropped: it waits for the audit service to move it. (The audit migrator takes the same advisory
 * lock as this one, so the two never interleave.)
 */
export class AuditLeavesRegistry1763800012000 implements MigrationInterface {
  name = 'AuditLeavesRegistry1763800012000';

  async up(q: QueryRunner): Promise<void> {
    const [tables] = (await q.query(`
      SELECT count(*)::int AS n FROM pg_catalog.pg_tables
      WHERE schemaname = current_schema() AND tablename IN ('audit_records', 'audit_checkpoints')`)) as {
      n: number;
    }[];
    if (tables?.n !== 2) return;
    const [rows] = (await q.query(`
      SELECT EXISTS (SELECT 1 FROM audit_records) OR EXISTS (SELECT 1 FROM audit_checkpoints) AS used`)) as {
      used: boolean;
    }[];
    if (rows?.used) return;
    await q.query(`DROP TABLE audit_records, audit_checkpoints`);
    await q.query(`DROP FUNCTION audit_refuse_change(), audit_checkpoint_refuse_change()`);
  }

  /** Nothing to restore: the trail is the audit service's now. */
  async down(): Promise<void> {}
}
