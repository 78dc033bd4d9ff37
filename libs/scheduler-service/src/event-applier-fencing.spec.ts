import { createMessage, ERROR_CODES, submitJobRequestSchema, uuidv7 } from '@jobplane/contracts';
import { applyGuardedUpdate, Database, JobRegistry, lockJob, OutboxMessage } from '@jobplane/persistence';
import { EventApplier } from './event-applier';

/**
 * A worker paused past the heartbeat timeout is given up as lost; its job waits queued for the
 * next attempt. When the worker wakes up, its outcome of the abandoned attempt must change nothing
 * (found by the chaos suite's `pause` scenario: the late outcome used to end the job).
 */
describe('EventApplier: late outcomes of an abandoned attempt', () => {
  let db: Database;
  let registry: JobRegistry;
  const applier = new EventApplier();

  beforeAll(async () => {
    db = await Database.open({ kind: 'pglite' }, { migrate: true });
    registry = new JobRegistry(db);
  });
  afterAll(() => db.close());

  /** A job whose attempt 1 ran on a worker that the watchdog then gave up as lost. */
  async function jobOfLostWorker() {
    const [r] = await registry.submit([
      { ...submitJobRequestSchema.parse({ type: 'debug.echo' }), tenant: 't', pool: 'default' },
    ]);
    const id = r!.job.id;
    await db.transaction(async (tx) => {
      await applyGuardedUpdate(tx, {
        jobId: id,
        fromStates: ['queued'],
        set: { state: 'running', attempt: 1 },
        event: { id: uuidv7(), type: 'started', attempt: 1, data: {}, occurredAt: new Date() },
      });
      const job = (await lockJob(tx, id))!;
      const error = {
        code: ERROR_CODES.workerLost,
        message: 'worker stopped sending heartbeats',
        retryable: true,
      };
      await applier.abandon(tx, job, error, []);
    });
    return id;
  }

  const apply = (m: ReturnType<typeof createMessage>) =>
    db.transaction((tx) => applier.apply(tx, m as never, [] as OutboxMessage[]));

  it('ignores a late failure (here: the abandoned attempt reported as timed out)', async () => {
    const id = await jobOfLostWorker();
    expect(await registry.get('t', id)).toMatchObject({ state: 'queued', attempt: 1 });
    const late = createMessage('job.failed', {
      jobId: id,
      tenant: 't',
      data: {
        attempt: 1,
        durationMs: 12_000,
        error: { code: ERROR_CODES.timedOut, message: 'hard time limit reached', retryable: false },
      },
    });
    expect((await apply(late)).changed).toBe(false);
    expect(await registry.get('t', id)).toMatchObject({ state: 'queued', attempt: 1 });
  });

  it('ignores a late cancellation of the abandoned attempt', async () => {
    const id = await jobOfLostWorker();
    const late = createMessage('job.cancelled', { jobId: id, tenant: 't', data: { attempt: 1 } });
    expect((await apply(late)).changed).toBe(false);
    expect(await registry.get('t', id)).toMatchObject({ state: 'queued' });
  });

  it('does not let a redelivered start of the abandoned attempt take the job back, and stops that run', async () => {
    const id = await jobOfLostWorker();
    const outbox: OutboxMessage[] = [];
    const late = createMessage('job.started', {
      jobId: id,
      tenant: 't',
      data: { attempt: 1, workerId: 'w2' },
    });
    expect((await db.transaction((tx) => applier.apply(tx, late, outbox))).changed).toBe(false);
    expect(await registry.get('t', id)).toMatchObject({ state: 'queued', attempt: 1 });
    expect(outbox.map((o) => JSON.parse(o.body).data)).toEqual([
      { reason: 'attempt already abandoned', attempt: 1 },
    ]);
  });

  it('fences the same redelivered start when it comes in a bulk-applied batch', async () => {
    const id = await jobOfLostWorker();
    const outbox: OutboxMessage[] = [];
    const late = createMessage('job.started', {
      jobId: id,
      tenant: 't',
      data: { attempt: 1, workerId: 'w2' },
    });
    const [applied] = await db.transaction((tx) => applier.applyMany(tx, [late], outbox));
    expect(applied!.changed).toBe(false);
    expect(await registry.get('t', id)).toMatchObject({ state: 'queued', attempt: 1 });
    expect(outbox.map((o) => JSON.parse(o.body).data)).toEqual([
      { reason: 'attempt already abandoned', attempt: 1 },
    ]);
  });

  it('still fails a dispatched attempt the worker could not start (unknown job type)', async () => {
    const [r] = await registry.submit([
      { ...submitJobRequestSchema.parse({ type: 'debug.echo' }), tenant: 't', pool: 'default' },
    ]);
    const id = r!.job.id;
    await db.transaction((tx) =>
      applyGuardedUpdate(tx, {
        jobId: id,
        fromStates: ['queued'],
        attempt: 0,
        set: { attempt: 1, runAt: null },
        event: { id: uuidv7(), type: 'dispatched', attempt: 1, data: {}, occurredAt: new Date() },
      }),
    );
    const failed = createMessage('job.failed', {
      jobId: id,
      tenant: 't',
      data: {
        attempt: 1,
        durationMs: 0,
        error: { code: ERROR_CODES.unknownJobType, message: 'no handler', retryable: false },
      },
    });
    expect((await apply(failed)).changed).toBe(true);
    expect(await registry.get('t', id)).toMatchObject({ state: 'failed' });
  });
});
