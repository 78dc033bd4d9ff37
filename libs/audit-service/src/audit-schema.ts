import { Database, MIGRATION_LOCK_KEY } from '@jobplane/persistence';
import { AUDIT_MIGRATIONS } from './audit-migrations';
import type { AuditTables } from './audit-tables';

/**
 * Brings the audit service's own schema up to this build: creates it when missing, then applies
 * pending audit migrations, recorded in its own `audit_migrations` table, in one transaction. So the
 * api and scheduler never need rights on it, and the audit role needs none on the registry's tables
 * (beyond owning the old audit tables once, when an older install's trail is moved).
 * On Postgres it holds the registry's migration lock meanwhile. Returns the names applied.
 */
export async function migrateAuditSchema(
  db: Database,
  audit: AuditTables,
  registrySchema: string,
): Promise<string[]> {
  return db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    // Checked first: CREATE SCHEMA IF NOT EXISTS wants CREATE on the database even when it exists.
    const [present] = await tx.query(`SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1`, [
      audit.schemaName,
    ]);
    if (!present) await tx.query(`CREATE SCHEMA ${audit.schema}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${audit.schema}.audit_migrations (
         name text PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const applied = new Set(
      (await tx.query<{ name: string }>(`SELECT name FROM ${audit.schema}.audit_migrations`)).map(
        (r) => r.name,
      ),
    );
    const run: string[] = [];
    for (const m of AUDIT_MIGRATIONS) {
      if (applied.has(m.name)) continue;
      await m.up(tx, { audit, registrySchema });
      await tx.query(`INSERT INTO ${audit.schema}.audit_migrations (name) VALUES ($1)`, [m.name]);
      run.push(m.name);
    }
    return run;
  });
}
