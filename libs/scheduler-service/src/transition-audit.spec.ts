import {
  createMessage,
  ERROR_CODES,
  parseSchedulerTransitions,
  SCHEDULER_TRANSITIONS,
  submitJobRequestSchema,
} from '@jobplane/contracts';
import { Database, enqueueOutbox, JobRegistry, lockJob, OutboxMessage, Tx } from '@jobplane/persistence';
import { EventApplier } from './event-applier';

/** Transitions the scheduler decides itself reach the audit trail through the outbox (embedded database). */
describe('EventApplier: audit of scheduler-decided transitions', () => {
  let db: Database;
  let registry: JobRegistry;
  const applier = new EventApplier();

  beforeAll(async () => {
    db = await Database.open({ kind: 'pglite' }, { migrate: true });
    registry = new JobRegistry(db);
  }, 60_000); // opening and migrating the embedded database is slow on a loaded machine
  afterAll(() => db.close());

  /** Runs `fn` like the conductor, consumer and watchdog do: outbox flushed in the same transaction. */
  async function inTx(fn: (tx: Tx, outbox: OutboxMessage[]) => Promise<unknown>): Promise<OutboxMessage[]> {
    const outbox: OutboxMessage[] = [];
    await db.transaction(async (tx) => {
      await fn(tx, outbox);
      applier.flushAuditInto(tx, outbox);
      await enqueueOutbox(tx, outbox);
    });
    return outbox;
  }

  async function submit(maxAttempts: number) {
    const [r] = await registry.submit([
      { ...submitJobRequestSchema.parse({ type: 'debug.echo', maxAttempts }), tenant: 't', pool: 'default' },
    ]);
    return r!.job.id;
  }

  async function dispatchAndStart(id: string, attempt: number) {
    await inTx((tx, outbox) => applier.dispatchIfDue(tx, id, attempt - 1, null, outbox));
    const started = createMessage('job.started', {
      jobId: id,
      tenant: 't',
      data: { attempt, workerId: 'w1' },
    });
    await inTx((tx, outbox) => applier.apply(tx, started, outbox));
  }

  const abandon = (id: string, error: { code: string; message: string; retryable: boolean }) =>
    inTx(async (tx, outbox) => applier.abandon(tx, (await lockJob(tx, id))!, error, outbox));

  /** The audit messages written to the outbox table, in outbox order. */
  async function outboxTransitions(jobId: string) {
    const rows = await db.query<{ body: string }>(
      `SELECT body FROM outbox WHERE routing_key = $1 ORDER BY id`,
      [SCHEDULER_TRANSITIONS],
    );
    return rows.flatMap((r) => {
      const parsed = parseSchedulerTransitions(r.body);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.message.transitions.filter((t) => t.jobId === jobId);
    });
  }

  async function events(jobId: string) {
    return db.query<{ event_id: string; type: string }>(
      `SELECT event_id, type FROM job_events WHERE job_id = $1 ORDER BY seq`,
      [jobId],
    );
  }

  it('records a watchdog retry of a lost worker and a watchdog timeout, each as one audit transition', async () => {
    const id = await submit(2);
    await dispatchAndStart(id, 1);
    const retryOutbox = await abandon(id, {
      code: ERROR_CODES.workerLost,
      message: 'worker lost',
      retryable: true,
    });
    // The audit message goes first, so the trail hears of the decision before what it causes.
    expect(retryOutbox[0]!.routingKey).toBe(SCHEDULER_TRANSITIONS);
    await db.query(`UPDATE jobs SET run_at = now() - interval '1 second' WHERE id = $1`, [id]);
    await dispatchAndStart(id, 2);
    await abandon(id, { code: ERROR_CODES.timedOut, message: 'hard limit', retryable: false });

    const recorded = await events(id);
    expect(recorded.map((e) => e.type)).toEqual([
      'submitted',
      'dispatched',
      'started',
      'worker_lost',
      'dispatched',
      'started',
      'timeout',
    ]);
    const audited = await outboxTransitions(id);
    const decided = recorded.filter((e) => !['submitted', 'started'].includes(e.type));
    expect(audited.map((t) => [t.eventId, t.event])).toEqual(decided.map((e) => [e.event_id, e.type]));
    expect(audited.find((t) => t.event === 'worker_lost')).toMatchObject({
      tenant: 't',
      attempt: 1,
      data: { nextAttempt: 2, error: { code: ERROR_CODES.workerLost } },
    });
  });

  it('leaves an event a lifecycle message caused to that message (the trail already has it)', async () => {
    const id = await submit(3);
    await dispatchAndStart(id, 1);
    const failed = createMessage('job.failed', {
      jobId: id,
      tenant: 't',
      data: { attempt: 1, error: { code: 'handler_failed', message: 'x', retryable: true }, durationMs: 1 },
    });
    const outbox = await inTx((tx, o) => applier.apply(tx, failed, o));
    expect((await events(id)).at(-1)).toMatchObject({ type: 'retrying', event_id: failed.id });
    expect(outbox.filter((m) => m.routingKey === SCHEDULER_TRANSITIONS)).toEqual([]);
  });
});
