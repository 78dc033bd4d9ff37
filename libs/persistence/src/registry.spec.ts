import { randomBytes } from 'node:crypto';
import { createMessage, listJobsQuerySchema, submitJobRequestSchema, uuidv7 } from '@jobplane/contracts';
import { Database, DatabaseOptions } from './database';
import { JobRegistry, JobStateError, NewJob } from './job-registry';
import { applyGuardedUpdate, recordedEventIds } from './job-updates';
import { claimOutbox, deleteOutbox } from './outbox';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const backends: [string, () => DatabaseOptions][] = [
  ['pglite', () => ({ kind: 'pglite' })],
  ['postgres', () => ({ kind: 'postgres', url: PG_URL, schema: `test_${randomBytes(4).toString('hex')}` })],
];

const newJob = (over: Partial<NewJob> = {}): NewJob => ({
  ...submitJobRequestSchema.parse({ type: 'debug.echo', payload: { n: 1 } }),
  tenant: 't1',
  pool: 'default',
  ...over,
});

describe.each(backends)('job registry on %s', (_name, options) => {
  let db: Database;
  let registry: JobRegistry;
  let schema: string | undefined;
  const submitOne = async () => (await registry.submit([newJob()]))[0]!.job;

  beforeAll(async () => {
    const opts = options();
    schema = opts.kind === 'postgres' ? opts.schema : undefined;
    db = await Database.open(opts, { migrate: true });
    registry = new JobRegistry(db);
  });

  afterAll(async () => {
    if (schema) await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.close();
  });

  it('creates the job, its first event and its outbox message in one transaction', async () => {
    const [result] = await registry.submit([newJob()]);
    expect(result!.created).toBe(true);
    const job = result!.job;
    expect(job).toMatchObject({ state: 'queued', attempt: 0, lastSeq: 1, payload: { n: 1 }, tenant: 't1' });
    const events = await registry.events('t1', job.id);
    expect(events.map((e) => [e.seq, e.type])).toEqual([[1, 'submitted']]);
    const outbox = await db.transaction((tx) => claimOutbox(tx, 1000));
    const mine = outbox.filter((m) => JSON.parse(m.body).jobId === job.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.routingKey).toBe('job.submitted');
    await db.transaction((tx) =>
      deleteOutbox(
        tx,
        outbox.map((m) => m.id),
      ),
    );
  });

  it("keeps the submit request's trace context on the job and in its job.submitted headers", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const [traced] = await registry.submit([newJob()], {}, { traceparent });
    const [untraced] = await registry.submitEach([newJob()], {}, {}); // tracing off: nothing stored
    expect(traced!.job.traceContext).toEqual({ traceparent });
    expect(await registry.get('t1', traced!.job.id)).toMatchObject({ traceContext: { traceparent } });
    expect('job' in untraced! && untraced.job.traceContext).toBeNull();
    const outbox = await db.transaction((tx) => claimOutbox(tx, 1000));
    const headersOf = (id: string) => outbox.find((m) => JSON.parse(m.body).jobId === id)?.headers;
    expect(headersOf(traced!.job.id)).toEqual({ traceparent });
    expect(headersOf('job' in untraced! ? untraced.job.id : '')).toEqual({});
    await db.transaction((tx) =>
      deleteOutbox(
        tx,
        outbox.map((m) => m.id),
      ),
    );
  });

  it('returns the first job for a repeated idempotency key, also within one batch', async () => {
    const key = `k-${uuidv7()}`;
    const results = await registry.submit([newJob({ idempotencyKey: key }), newJob({ idempotencyKey: key })]);
    expect(results.map((r) => r.created)).toEqual([true, false]);
    expect(results[1]!.job.id).toBe(results[0]!.job.id);
    const [again] = await registry.submit([newJob({ idempotencyKey: key })]);
    expect(again).toMatchObject({ created: false, job: { id: results[0]!.job.id } });
  });

  it("hides another tenant's job", async () => {
    const job = await submitOne();
    await expect(registry.get('other', job.id)).rejects.toThrow(/not found/);
  });

  it('pages newest first with a cursor that is stable under inserts', async () => {
    const tenant = `page-${uuidv7()}`;
    await registry.submit(Array.from({ length: 7 }, () => newJob({ tenant })));
    const q = listJobsQuerySchema.parse({ limit: '3' });
    const p1 = await registry.list(tenant, q);
    await registry.submit([newJob({ tenant })]); // a newer job must not shift later pages
    const p2 = await registry.list(tenant, { ...q, cursor: p1.nextCursor! });
    const p3 = await registry.list(tenant, { ...q, cursor: p2.nextCursor! });
    const ids = [...p1.items, ...p2.items, ...p3.items].map((j) => j.id);
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(p3.nextCursor).toBeNull();
  });

  it('applies a guarded update once, fences stale attempts and terminal states', async () => {
    const job = await submitOne();
    const ev = (type: string) => ({ id: uuidv7(), type, attempt: 1, data: {}, occurredAt: new Date() });
    const dispatched = await db.transaction((tx) =>
      applyGuardedUpdate(tx, {
        jobId: job.id,
        fromStates: ['queued'],
        attempt: 0,
        set: { attempt: 1 },
        event: ev('dispatched'),
      }),
    );
    expect(dispatched).toMatchObject({ attempt: 1, state: 'queued', lastSeq: 2 });
    const started = ev('started');
    const running = await db.transaction((tx) =>
      applyGuardedUpdate(tx, {
        jobId: job.id,
        fromStates: ['queued'],
        attempt: 1,
        set: { state: 'running', startedAt: new Date() },
        event: started,
      }),
    );
    expect(running).toMatchObject({ state: 'running', lastSeq: 3 });
    // A stale attempt cannot finish it.
    const stale = await db.transaction((tx) =>
      applyGuardedUpdate(tx, {
        jobId: job.id,
        fromStates: ['running'],
        attempt: 2,
        set: { state: 'succeeded' },
        event: ev('succeeded'),
      }),
    );
    expect(stale).toBeNull();
    const done = await db.transaction((tx) =>
      applyGuardedUpdate(tx, {
        jobId: job.id,
        fromStates: ['running'],
        attempt: 1,
        set: { state: 'succeeded', result: [1, 2], finishedAt: new Date() },
        event: ev('succeeded'),
      }),
    );
    expect(done).toMatchObject({ state: 'succeeded', result: [1, 2], lastSeq: 4 });
    // A late duplicate can never move a terminal job.
    const late = await db.transaction((tx) =>
      applyGuardedUpdate(tx, {
        jobId: job.id,
        fromStates: ['running'],
        attempt: 1,
        set: { state: 'failed' },
        event: ev('failed'),
      }),
    );
    expect(late).toBeNull();
    const events = await registry.events('t1', job.id);
    expect(events.map((e) => e.type)).toEqual(['submitted', 'dispatched', 'started', 'succeeded']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    const seen = await db.transaction((tx) => recordedEventIds(tx, [started.id, uuidv7()]));
    expect([...seen]).toEqual([started.id]);
  });

  it('records a cancel request durably and refuses it on a finished job', async () => {
    const job = await submitOne();
    const cancelled = await registry.requestCancel('t1', job.id, 'no longer needed');
    expect(cancelled.cancelRequestedAt).toBeInstanceOf(Date);
    const outbox = await db.transaction((tx) => claimOutbox(tx, 10_000));
    expect(outbox.some((m) => m.routingKey === 'job.cancel_requested' && m.body.includes(job.id))).toBe(true);
    await db.transaction(async (tx) => {
      await applyGuardedUpdate(tx, {
        jobId: job.id,
        fromStates: ['queued'],
        set: { state: 'cancelled', finishedAt: new Date() },
        event: { id: uuidv7(), type: 'cancelled', attempt: null, data: {}, occurredAt: new Date() },
      });
    });
    await expect(registry.requestCancel('t1', job.id)).rejects.toBeInstanceOf(JobStateError);
  });

  it('stores a submitted message that the contract accepts', () => {
    const m = createMessage('job.cancel', { jobId: uuidv7(), tenant: 't', data: {} });
    expect(m.v).toBe(1);
  });
});
