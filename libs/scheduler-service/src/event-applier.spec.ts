import { createMessage, submitJobRequestSchema, uuidv7 } from '@jobplane/contracts';
import { applyGuardedUpdate, Database, JobRegistry, OutboxMessage, ResultStore } from '@jobplane/persistence';
import { EventApplier } from './event-applier';

/** job.succeeded and the result store, on the embedded database (same SQL as Postgres). */
describe('EventApplier: results', () => {
  let db: Database;
  let registry: JobRegistry;
  const applier = new EventApplier(100, () => new Date(), undefined, 1000);

  beforeAll(async () => {
    db = await Database.open({ kind: 'pglite' }, { migrate: true });
    registry = new JobRegistry(db);
  });
  afterAll(() => db.close());

  async function runningJob() {
    const [r] = await registry.submit([
      { ...submitJobRequestSchema.parse({ type: 'debug.echo' }), tenant: 't', pool: 'default' },
    ]);
    const id = r!.job.id;
    await db.transaction((tx) =>
      applyGuardedUpdate(tx, {
        jobId: id,
        fromStates: ['queued'],
        set: { state: 'running', attempt: 1 },
        event: { id: uuidv7(), type: 'started', attempt: 1, data: {}, occurredAt: new Date() },
      }),
    );
    return id;
  }

  const succeeded = (jobId: string, result: unknown) =>
    createMessage('job.succeeded', { jobId, tenant: 't', data: { attempt: 1, result, durationMs: 3 } });

  const apply = (m: ReturnType<typeof succeeded>) => {
    const outbox: OutboxMessage[] = [];
    return db.transaction((tx) => applier.apply(tx, m, outbox));
  };

  it('keeps a small result on the job', async () => {
    const id = await runningJob();
    expect((await apply(succeeded(id, { n: 1 }))).changed).toBe(true);
    const job = await registry.get('t', id);
    expect(job).toMatchObject({ state: 'succeeded', result: { n: 1 }, resultRef: null });
  });

  it('moves a big result to the result store once, even when the message is delivered twice', async () => {
    const id = await runningJob();
    const big = { s: 'b'.repeat(2000) };
    const m = succeeded(id, big);
    expect((await apply(m)).changed).toBe(true);
    expect((await apply(m)).changed).toBe(false);
    const job = await registry.get('t', id);
    const size = JSON.stringify(big).length;
    expect(job).toMatchObject({ state: 'succeeded', result: null, resultRef: { sizeBytes: size } });
    const rows = await db.query(`SELECT size_bytes FROM job_results WHERE job_id = $1`, [id]);
    expect(rows).toEqual([{ size_bytes: size }]);
    const stored = await new ResultStore(db).get('t', id);
    expect(JSON.parse(stored.body.toString())).toEqual(big);
    const events = await registry.events('t', id);
    expect(events.at(-1)).toMatchObject({ type: 'succeeded', data: { durationMs: 3, resultBytes: size } });
  });

  it('stores nothing for a stale attempt', async () => {
    const id = await runningJob();
    const stale = createMessage('job.succeeded', {
      jobId: id,
      tenant: 't',
      data: { attempt: 2, result: { s: 'c'.repeat(2000) }, durationMs: 1 },
    });
    expect((await apply(stale)).changed).toBe(false);
    expect(await db.query(`SELECT 1 FROM job_results WHERE job_id = $1`, [id])).toEqual([]);
  });
});
