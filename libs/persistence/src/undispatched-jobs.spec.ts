import { randomBytes } from 'node:crypto';
import { submitJobRequestSchema } from '@jobplane/contracts';
import { Database, DatabaseOptions } from './database';
import { JobRegistry } from './job-registry';
import { undispatchedJobs } from './job-updates';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const backends: [string, () => DatabaseOptions][] = [
  ['pglite', () => ({ kind: 'pglite' })],
  ['postgres', () => ({ kind: 'postgres', url: PG_URL, schema: `test_${randomBytes(4).toString('hex')}` })],
];

/**
 * The reconciler re-adds queued jobs the backlog lost, but leaves a job whose `job.submitted` is
 * still in the outbox to that message (found by chaos scenario 7: while the api's relay waited for
 * a restarted broker, the reconciler dispatched its jobs and their audit trails began with the
 * dispatch, the submit recorded after the start).
 */
describe.each(backends)('undispatchedJobs on %s', (_name, options) => {
  let db: Database;
  let schema: string | undefined;

  beforeAll(async () => {
    const opts = options();
    schema = opts.kind === 'postgres' ? opts.schema : undefined;
    db = await Database.open(opts, { migrate: true });
  }, 60_000);

  afterAll(async () => {
    if (schema) await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.close();
  });

  it('skips a job whose job.submitted is not published yet, finds it once it is', async () => {
    const [r] = await new JobRegistry(db).submit([
      { ...submitJobRequestSchema.parse({ type: 'debug.echo' }), tenant: 't', pool: 'default' },
    ]);
    const id = r!.job.id;
    const due = () =>
      db
        .transaction((tx) => undispatchedJobs(tx, 100, new Date(Date.now() + 60_000)))
        .then((jobs) => jobs.map((j) => j.id));
    expect(await db.query(`SELECT 1 FROM outbox`)).toHaveLength(1);
    expect(await due()).not.toContain(id);
    await db.query(`DELETE FROM outbox`);
    expect(await due()).toContain(id);
  });
});
