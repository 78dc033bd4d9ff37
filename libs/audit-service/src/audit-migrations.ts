import type { Tx } from '@jobplane/persistence';
import type { AuditTables } from './audit-tables';

/** Where a migration works: the audit schema, and the registry's (where older builds kept the trail). */
export interface AuditMigrationTarget {
  audit: AuditTables;
  /** The job registry's schema, unquoted. */
  registrySchema: string;
}

export interface AuditMigration {
  name: string;
  up(tx: Tx, target: AuditMigrationTarget): Promise<void>;
}

/**
 * The trail into its own schema. Installs from before the split kept `audit_records` and
 * `audit_checkpoints` in the registry's schema: they are moved (`SET SCHEMA` keeps rows, ids,
 * indexes, grants and the append-only triggers, so the chain is untouched), with their trigger
 * functions. Fresh installs get the same tables created here.
 */
const ownSchema: AuditMigration = {
  name: 'AuditOwnSchema0001',
  async up(tx, { audit, registrySchema }) {
    const inRegistry = new Set(
      (
        await tx.query<{ tablename: string }>(
          `SELECT tablename FROM pg_catalog.pg_tables
           WHERE schemaname = $1 AND tablename IN ('audit_records', 'audit_checkpoints')`,
          [registrySchema],
        )
      ).map((r) => r.tablename),
    );
    if (inRegistry.size === 2) return moveFromRegistry(tx, audit, `"${registrySchema}"`);
    if (inRegistry.size === 1)
      throw new Error(
        `schema ${registrySchema} holds only part of the audit trail: migrate the registry first (MIGRATE_ON_START or the migration job)`,
      );
    await createTrail(tx, audit);
  },
};

/** Every audit migration in order, recorded in `<audit schema>.audit_migrations`. Never edited once released. */
export const AUDIT_MIGRATIONS: AuditMigration[] = [ownSchema];

async function moveFromRegistry(tx: Tx, audit: AuditTables, registry: string): Promise<void> {
  await tx.query(`ALTER TABLE ${registry}.audit_records SET SCHEMA ${audit.schema}`);
  await tx.query(`ALTER TABLE ${registry}.audit_checkpoints SET SCHEMA ${audit.schema}`);
  await tx.query(`ALTER FUNCTION ${registry}.audit_refuse_change() SET SCHEMA ${audit.schema}`);
  await tx.query(`ALTER FUNCTION ${registry}.audit_checkpoint_refuse_change() SET SCHEMA ${audit.schema}`);
}

/** The trail as the registry's migrations 1763800001000 and 1763800009000 built it, in the audit schema. */
async function createTrail(tx: Tx, audit: AuditTables): Promise<void> {
  const s = audit.schema;
  await tx.query(`
    CREATE TABLE ${audit.records} (
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
  await tx.query(`CREATE INDEX audit_records_job_id ON ${audit.records} (job_id, id)`);
  await tx.query(`CREATE INDEX audit_records_tenant_time ON ${audit.records} (tenant, occurred_at, id)`);
  await tx.query(`CREATE INDEX audit_records_tenant_actor ON ${audit.records} (tenant, actor, id)`);
  // Only the retention purge (a transaction-local flag) may delete; nothing may update.
  await tx.query(`
    CREATE FUNCTION ${s}.audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('jobplane.audit_purge', true) = 'on' AND TG_OP = 'DELETE' THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'audit records are append-only (% refused)', TG_OP;
    END $$`);
  await tx.query(`
    CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON ${audit.records}
    FOR EACH ROW EXECUTE FUNCTION ${s}.audit_refuse_change()`);
  await tx.query(`
    CREATE TABLE ${audit.checkpoints} (
      tenant text NOT NULL,
      through_seq bigint NOT NULL,
      through_hash text NOT NULL,
      purged_count bigint NOT NULL,
      purged_before timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant, through_seq)
    )`);
  await tx.query(`
    CREATE FUNCTION ${s}.audit_checkpoint_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit checkpoints are append-only (% refused)', TG_OP;
    END $$`);
  await tx.query(`
    CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON ${audit.checkpoints}
    FOR EACH ROW EXECUTE FUNCTION ${s}.audit_checkpoint_refuse_change()`);
}
