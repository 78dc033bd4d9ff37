import { createMessage, ERROR_CODES, submitJobRequestSchema, uuidv7 } from '@jobplane/contracts';
import { applyGuardedUpdate, Database, JobRegistry, OutboxMessage } from '@jobplane/persistence';
import { Registry } from 'prom-client';
import { EventApplier } from './event-applier';
import { EventNotifier } from './event-notifier';
import { registerJobMetrics } from './job-metrics';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined } as never;

/** Outcome metrics count committed transitions once: not duplicates, not rolled-back work. */
describe('job metrics from committed transitions', () => {
  let db: Database;
  let registry: JobRegistry;
  let metrics: Registry;
  let applier: EventApplier;

  beforeAll(async () => {
    db = await Database.open({ kind: 'pglite' }, { migrate: true });
    registry = new JobRegistry(db);
    metrics = new Registry();
    const notifier = new EventNotifier(null, silent);
    notifier.observe(registerJobMetrics(metrics));
    applier = new EventApplier(100, () => new Date(), notifier);
  });
  afterAll(() => db.close());

  async function runningJob(type: string, maxAttempts = 1) {
    const [r] = await registry.submit([
      { ...submitJobRequestSchema.parse({ type, maxAttempts }), tenant: 't', pool: 'p' },
    ]);
    const id = r!.job.id;
    await db.transaction((tx) =>
      applyGuardedUpdate(tx, {
        jobId: id,
        fromStates: ['queued'],
        set: { state: 'running', attempt: 1, startedAt: new Date() },
        event: { id: uuidv7(), type: 'started', attempt: 1, data: {}, occurredAt: new Date() },
      }),
    );
    return id;
  }

  const apply = (m: Parameters<EventApplier['apply']>[1]) => {
    const outbox: OutboxMessage[] = [];
    return applier.transaction(db, (tx) => applier.apply(tx, m, outbox));
  };
  const value = async (name: string, labels: Record<string, string>) =>
    (await metrics.getSingleMetric(name)!.get()).values
      .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
      .reduce((n, v) => n + v.value, 0);

  it('counts a success once although its message arrives twice, with wait and run time', async () => {
    const id = await runningJob('a');
    const m = createMessage('job.succeeded', {
      jobId: id,
      tenant: 't',
      data: { attempt: 1, result: 1, durationMs: 1 },
    });
    expect((await apply(m)).changed).toBe(true);
    expect((await apply(m)).changed).toBe(false);
    expect(await value('jobplane_jobs_finished_total', { type: 'a', pool: 'p', outcome: 'succeeded' })).toBe(
      1,
    );
    expect(await value('jobplane_job_queue_wait_seconds', { type: 'a', le: '+Inf' })).toBe(1);
    expect(await value('jobplane_job_run_seconds', { type: 'a', outcome: 'succeeded', le: '+Inf' })).toBe(1);
  });

  it('counts a retry, then the final failure', async () => {
    const id = await runningJob('b', 2);
    const error = { code: 'boom', message: 'x', retryable: true };
    const failed = (attempt: number) =>
      createMessage('job.failed', { jobId: id, tenant: 't', data: { attempt, error, durationMs: 1 } });
    await apply(failed(1));
    expect(await value('jobplane_job_retries_total', { type: 'b', reason: 'retrying' })).toBe(1);
    expect(await value('jobplane_jobs_finished_total', { type: 'b' })).toBe(0);
    await db.transaction((tx) =>
      applyGuardedUpdate(tx, {
        jobId: id,
        fromStates: ['queued'],
        attempt: 1,
        set: { state: 'running', attempt: 2, startedAt: new Date() },
        event: { id: uuidv7(), type: 'started', attempt: 2, data: {}, occurredAt: new Date() },
      }),
    );
    await apply(failed(2));
    expect(await value('jobplane_jobs_finished_total', { type: 'b', outcome: 'failed' })).toBe(1);
  });

  it('counts a rate-limit pause per pool', async () => {
    const id = await runningJob('c');
    const error = {
      code: ERROR_CODES.rateLimited,
      message: 'slow down',
      retryable: true,
      details: { retryAfterMs: 10 },
    };
    await apply(
      createMessage('job.failed', { jobId: id, tenant: 't', data: { attempt: 1, error, durationMs: 1 } }),
    );
    expect(await value('jobplane_rate_limit_pauses_total', { pool: 'p' })).toBe(1);
    expect(await value('jobplane_jobs_finished_total', { type: 'c' })).toBe(0);
  });

  it('counts nothing when the transaction rolls back', async () => {
    const id = await runningJob('d');
    const m = createMessage('job.succeeded', {
      jobId: id,
      tenant: 't',
      data: { attempt: 1, result: 1, durationMs: 1 },
    });
    await expect(
      applier.transaction(db, async (tx) => {
        await applier.apply(tx, m, []);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await value('jobplane_jobs_finished_total', { type: 'd' })).toBe(0);
  });
});
