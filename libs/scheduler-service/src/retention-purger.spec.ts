import { randomBytes } from 'node:crypto';
import { submitJobRequestSchema, uuidv7 } from '@jobplane/contracts';
import { applyGuardedUpdate, Database, JobRegistry } from '@jobplane/persistence';
import { RetentionPurger } from './retention-purger';

const silent = { info: () => undefined, error: () => undefined } as never;

/** Against the real Postgres, in a schema of its own. */
describe('retention purge', () => {
  const schema = `test_retention_${randomBytes(4).toString('hex')}`;
  let db: Database;
  let registry: JobRegistry;

  beforeAll(async () => {
    db = await Database.open(
      {
        kind: 'postgres',
        url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
        schema,
      },
      { migrate: true },
    );
    registry = new JobRegistry(db);
  });

  afterAll(async () => {
    await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.close();
  });

  async function job(
    state: 'succeeded' | 'failed' | 'queued' | 'running',
    finishedSecondsAgo: number | null,
  ) {
    const [r] = await registry.submit([
      { ...submitJobRequestSchema.parse({ type: 'debug.echo' }), tenant: 't', pool: 'p' },
    ]);
    const id = r!.job.id;
    if (state !== 'queued') {
      await db.transaction((tx) =>
        applyGuardedUpdate(tx, {
          jobId: id,
          fromStates: ['queued'],
          set: {
            state,
            finishedAt: finishedSecondsAgo === null ? null : new Date(Date.now() - finishedSecondsAgo * 1000),
          },
          event: { id: uuidv7(), type: state, attempt: 1, data: {}, occurredAt: new Date() },
        }),
      );
    }
    return id;
  }

  it('removes only terminal jobs past the retention, with their events', async () => {
    const expired = [await job('succeeded', 7200), await job('failed', 4000)];
    const kept = [await job('succeeded', 60), await job('queued', null), await job('running', null)];
    const purger = new RetentionPurger(db, () => true, silent, 3600);
    expect(await purger.purgeOnce()).toBe(2);
    const left = await db.query<{ id: string }>(`SELECT id FROM jobs`);
    expect(left.map((r) => r.id).sort()).toEqual([...kept].sort());
    const events = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM job_events WHERE job_id = ANY($1::uuid[])`,
      [expired],
    );
    expect(events[0]!.n).toBe('0');
    expect(await purger.purgeOnce()).toBe(0);
  });

  it('does nothing when disabled or not the lease holder', async () => {
    await job('succeeded', 99_999);
    expect(await new RetentionPurger(db, () => true, silent, 0).purgeOnce()).toBe(0);
    expect(await new RetentionPurger(db, () => false, silent, 10).purgeOnce()).toBe(0);
    // With 30 s retention, this job and the one kept above (finished 60 s ago) are both expired.
    expect(await new RetentionPurger(db, () => true, silent, 30).purgeOnce()).toBe(2);
  });
});
