import { createMessage, submitJobRequestSchema } from '@jobplane/contracts';
import { Database, JobRegistry, OutboxMessage } from '@jobplane/persistence';
import { EventApplier } from './event-applier';

/** The bulk paths (applyMany, dispatchMany) decide exactly what the per-message paths would. */
describe('EventApplier: bulk apply and dispatch', () => {
  let db: Database;
  let registry: JobRegistry;
  const applier = new EventApplier(100, () => new Date(), undefined, 1000);

  beforeAll(async () => {
    db = await Database.open({ kind: 'pglite' }, { migrate: true });
    registry = new JobRegistry(db);
  }, 60_000); // pglite's start is slow on a busy machine
  afterAll(() => db?.close());

  async function queued(count: number, extra: Record<string, unknown> = {}): Promise<string[]> {
    const results = await registry.submit(
      Array.from({ length: count }, () => ({
        ...submitJobRequestSchema.parse({ type: 'debug.echo', ...extra }),
        tenant: 't',
        pool: 'default',
      })),
    );
    return results.map((r) => r.job.id);
  }

  const dispatch = (entries: { jobId: string; attempt: number }[]) => {
    const outbox: OutboxMessage[] = [];
    return db
      .transaction((tx) => applier.dispatchMany(tx, 'default', entries, outbox))
      .then((results) => ({ results, outbox }));
  };

  it('dispatches the plain entries in one go and leaves the rest to the careful path', async () => {
    const [a, b] = await queued(2);
    const [later] = await queued(1, { runAt: new Date(Date.now() + 60_000).toISOString() });
    const { results, outbox } = await dispatch([
      { jobId: a!, attempt: 0 },
      { jobId: b!, attempt: 0 },
      { jobId: a!, attempt: 0 }, // the same entry twice: the second is fenced out
      { jobId: later!, attempt: 0 }, // not due: back to the backlog
      { jobId: b!, attempt: 5 }, // stale
    ]);
    expect(results.map((r) => r.dispatched ?? false)).toEqual([true, true, false, false, false]);
    expect(results[3]!.backlog?.jobId).toBe(later);
    expect(outbox.map((m) => JSON.parse(m.body).jobId).sort()).toEqual([a, b].sort());
    for (const id of [a!, b!]) {
      const job = await registry.get('t', id);
      expect(job).toMatchObject({ state: 'queued', attempt: 1 });
      const events = await registry.events('t', id);
      expect(events.map((e) => [e.seq, e.type])).toEqual([
        [1, 'submitted'],
        [2, 'dispatched'],
      ]);
      expect(events[1]!.data).toEqual({ pool: 'default' });
    }
    expect(await registry.get('t', later!)).toMatchObject({ state: 'queued', attempt: 0 });
  });

  it('applies started and succeeded of the same batch in order, fencing stale and repeated outcomes', async () => {
    const [a, b, c] = await queued(3);
    await dispatch([a!, b!, c!].map((jobId) => ({ jobId, attempt: 0 })));
    const started = (jobId: string, attempt = 1) =>
      createMessage('job.started', { jobId, tenant: 't', data: { attempt, workerId: 'w1' } });
    const succeeded = (jobId: string, attempt = 1) =>
      createMessage('job.succeeded', {
        jobId,
        tenant: 't',
        data: { attempt, result: { jobId }, durationMs: 1 },
      });
    const messages = [
      started(a!),
      started(b!),
      succeeded(a!), // a second message for a: applied after a's start
      started(c!, 2), // stale attempt
      succeeded(b!),
      succeeded(b!), // a repeat under a new id: the guard fences it
      succeeded(c!), // c never started
    ];
    const outbox: OutboxMessage[] = [];
    const results = await db.transaction((tx) => applier.applyMany(tx, messages, outbox));
    expect(results.map((r) => r.changed)).toEqual([true, true, true, false, true, false, false]);
    expect(results[2]!.released).toBe('default');
    for (const id of [a!, b!]) {
      expect(await registry.get('t', id)).toMatchObject({
        state: 'succeeded',
        result: { jobId: id },
        workerId: 'w1',
      });
      const events = await registry.events('t', id);
      expect(events.map((e) => [e.seq, e.type])).toEqual([
        [1, 'submitted'],
        [2, 'dispatched'],
        [3, 'started'],
        [4, 'succeeded'],
      ]);
    }
    expect(await registry.get('t', c!)).toMatchObject({ state: 'queued', attempt: 1 });
  });
});
