import { randomBytes } from 'node:crypto';
import type { QueryRunner } from 'typeorm';
import { Database, DatabaseOptions, SchemaBehindError } from './database';
import { MIGRATIONS } from './migrations';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** An expand step newer than the build: a process of the build must accept such a schema. */
class LaterExpand1999999999000 {
  name = 'LaterExpand1999999999000';
  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE jobs ADD COLUMN later_note text');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE jobs DROP COLUMN later_note');
  }
}

describe('Database.open without migrate (a pod whose migration job runs elsewhere)', () => {
  let opts: Extract<DatabaseOptions, { kind: 'postgres' }>;
  const open: Database[] = [];

  beforeEach(() => {
    opts = { kind: 'postgres', url: PG_URL, schema: `test_schema_${randomBytes(4).toString('hex')}` };
  });

  afterEach(async () => {
    const admin = await Database.open({ kind: 'postgres', url: PG_URL });
    await admin.query(`DROP SCHEMA IF EXISTS "${opts.schema}" CASCADE`);
    await admin.close();
    await Promise.all(open.splice(0).map((db) => db.close()));
  });

  it('refuses a schema that stays behind, naming every pending migration', async () => {
    const t0 = Date.now();
    const err = await Database.open(opts, { awaitSchemaMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaBehindError);
    expect((err as SchemaBehindError).pending).toEqual(MIGRATIONS.map((m) => m.name));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('waits for a migration applied meanwhile, and accepts a schema ahead of the build', async () => {
    const waiting = Database.open(opts, { awaitSchemaMs: 30_000 });
    await new Promise((r) => setTimeout(r, 300));
    const migrator = await Database.open(opts, {
      migrate: true,
      extraMigrations: [LaterExpand1999999999000],
    });
    open.push(migrator);
    const db = await waiting;
    open.push(db);
    expect(await db.pending()).toEqual([]);
    expect(await migrator.pending()).toEqual([]);
    const cols = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'jobs' AND column_name = 'later_note'`,
      [opts.schema],
    );
    expect(cols).toHaveLength(1);
  });

  it('does not check at all unless asked (library callers, tests)', async () => {
    const db = await Database.open(opts);
    open.push(db);
    expect(await db.pending()).toHaveLength(MIGRATIONS.length);
  });
});
