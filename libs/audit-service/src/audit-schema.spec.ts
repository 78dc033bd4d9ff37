import { randomBytes } from 'node:crypto';
import { auditQuerySchema, createMessage, EVENTS_EXCHANGE, uuidv7 } from '@jobplane/contracts';
import { InProcessBus, jobplaneTopology } from '@jobplane/messaging';
import { Database, DatabaseOptions, MIGRATIONS } from '@jobplane/persistence';
import { AuditRecorder } from './audit-recorder';
import { migrateAuditSchema } from './audit-schema';
import { AuditTables, auditTables } from './audit-tables';
import { AuditTrail } from './audit-trail';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const silent = { info: () => undefined, error: () => undefined, warn: () => undefined } as never;
const hex = () => randomBytes(4).toString('hex');

const backends: [string, () => DatabaseOptions][] = [
  ['pglite', () => ({ kind: 'pglite' })],
  ['postgres', () => ({ kind: 'postgres', url: PG_URL, schema: `test_reg_${hex()}` })],
];

/** The registry migrations that built the trail in the registry's schema before it had its own. */
const legacyTrailMigrations = MIGRATIONS.filter((m) =>
  ['AuditLog1763800001000', 'AuditCheckpoints1763800009000'].includes(m.name),
);
const leaveRegistry = MIGRATIONS.find((m) => m.name === 'AuditLeavesRegistry1763800012000')!;

describe.each(backends)('the audit schema on %s', (_name, options) => {
  let db: Database;
  let bus: InProcessBus;
  let registry: string;
  const audit = auditTables(`test_own_${hex()}`);

  beforeAll(async () => {
    const opts = options();
    registry = opts.kind === 'postgres' ? opts.schema! : 'public';
    db = await Database.open(opts, { migrate: true });
    bus = new InProcessBus();
    await bus.start(jobplaneTopology());
  });

  afterAll(async () => {
    await bus.close();
    if (registry !== 'public') await db.query(`DROP SCHEMA "${registry}" CASCADE`);
    await db.query(`DROP SCHEMA IF EXISTS ${audit.schema} CASCADE`);
    await db.close();
  });

  const trailTables = async (schema: string) =>
    (
      await db.query<{ tablename: string }>(
        `SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename LIKE 'audit%' ORDER BY 1`,
        [schema],
      )
    ).map((r) => r.tablename);

  /** Runs the recorder against `tables` until the given job's lifecycle is recorded. */
  async function record(tables: AuditTables, tenant: string, jobs: number) {
    const recorder = new AuditRecorder(bus, db, tables, silent);
    await recorder.start();
    try {
      const messages = Array.from({ length: jobs }, () => uuidv7()).flatMap((jobId) => [
        createMessage('job.started', { jobId, tenant, data: { attempt: 1, workerId: 'w1' } }),
        createMessage('job.succeeded', { jobId, tenant, data: { attempt: 1, result: 1, durationMs: 1 } }),
      ]);
      await bus.publish(
        messages.map((m) => ({
          exchange: EVENTS_EXCHANGE,
          routingKey: m.type,
          messageId: m.id,
          body: Buffer.from(JSON.stringify(m)),
        })),
      );
      const deadline = Date.now() + 10_000;
      while (recorder.recorded < messages.length) {
        if (Date.now() > deadline) throw new Error('recorder did not catch up');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await recorder.stop();
    }
  }

  it('leaves no empty trail in the registry schema of a fresh install', async () => {
    expect(await trailTables(registry)).toEqual([]);
  });

  it("moves an older install's trail with its chain, checkpoints and append-only guard", async () => {
    // An install from before the split: the trail in the registry's schema, with records and a checkpoint.
    const runner = db.dataSource.createQueryRunner();
    try {
      for (const M of legacyTrailMigrations) await new M().up(runner);
      const legacy = auditTables(registry);
      const [a, b] = [`a-${hex()}`, `b-${hex()}`];
      await record(legacy, a, 2);
      expect(await new AuditTrail(db, legacy).purge(new Date(Date.now() + 1_000))).toBe(4);
      await record(legacy, a, 1);
      await record(legacy, b, 1);
      // The registry's clean-up keeps a trail that has rows.
      await new leaveRegistry().up(runner);
      expect(await trailTables(registry)).toEqual(['audit_checkpoints', 'audit_records']);

      expect(await migrateAuditSchema(db, audit, registry)).toEqual(['AuditOwnSchema0001']);
      expect(await trailTables(registry)).toEqual([]);
      expect(await trailTables(audit.schemaName)).toEqual([
        'audit_checkpoints',
        'audit_migrations',
        'audit_records',
      ]);
      const trail = new AuditTrail(db, audit);
      expect(await trail.verify(a)).toMatchObject({ intact: true, fromCheckpoint: 4, checked: 2 });
      expect(await trail.verify(b)).toMatchObject({ intact: true, fromCheckpoint: null, checked: 2 });

      // The chain goes on in the new schema, and a second run has nothing to do.
      await record(audit, a, 1);
      expect(await trail.verify(a)).toMatchObject({ intact: true, checked: 4 });
      expect((await trail.list(a, auditQuerySchema.parse({ limit: 10 }))).items.map((r) => r.seq)).toEqual([
        5, 6, 7, 8,
      ]);
      expect(await migrateAuditSchema(db, audit, registry)).toEqual([]);
    } finally {
      await runner.release();
    }
  });

  it('still refuses UPDATE and DELETE on the moved tables', async () => {
    await expect(db.query(`UPDATE ${audit.records} SET type = 'x'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM ${audit.records}`)).rejects.toThrow(/append-only/);
    await expect(db.query(`UPDATE ${audit.checkpoints} SET purged_count = 0`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM ${audit.checkpoints}`)).rejects.toThrow(/append-only/);
  });

  it('creates the trail in a schema of its own on a fresh install', async () => {
    const fresh = auditTables(`test_fresh_${hex()}`);
    try {
      expect(await migrateAuditSchema(db, fresh, registry)).toEqual(['AuditOwnSchema0001']);
      const tenant = `c-${hex()}`;
      await record(fresh, tenant, 1);
      expect(await new AuditTrail(db, fresh).verify(tenant)).toMatchObject({ intact: true, checked: 2 });
      await expect(db.query(`DELETE FROM ${fresh.records}`)).rejects.toThrow(/append-only/);
    } finally {
      await db.query(`DROP SCHEMA ${fresh.schema} CASCADE`);
    }
  });
});
