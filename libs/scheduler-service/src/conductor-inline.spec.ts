import { submitJobRequestSchema } from '@jobplane/contracts';
import { Database, JobRegistry, OutboxMessage, OutboxRelay, PoolStore } from '@jobplane/persistence';
import { createLogger } from '@jobplane/telemetry';
import { MemoryBacklog } from './adapters/memory-backlog';
import { Backlog, BacklogEntry, observedBacklog } from './backlog.port';
import { Conductor } from './conductor';
import { backlogEntryOf, EventApplier } from './event-applier';
import type { LeaderLease } from './leader';

/** Polls `read` until `until` holds (10 s at most). */
async function eventually<T>(
  read: () => Promise<T>,
  o: { until: (value: T) => boolean; what: string },
): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (o.until(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${o.what}: not reached in 10 s (last ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The single-hop path: a job arriving at a pool with room and an empty backlog is dispatched in the
 * transaction that recorded it; anything else waits its turn in the backlog.
 */
describe('Conductor.dispatchInline', () => {
  let db: Database;
  let registry: JobRegistry;
  let conductor: Conductor;
  let leading = true;
  const memory = new MemoryBacklog();
  // Takes wait while the gate is closed, so a test can hold the conductor's loop mid-take.
  let gate: Promise<void> = Promise.resolve();
  let openGate = (): void => undefined;
  const gated: Backlog = {
    add: (entries) => memory.add(entries),
    take: async (lane) => {
      await gate;
      return memory.take(lane);
    },
    waitForWork: (pool, ms) => memory.waitForWork(pool, ms),
    holds: (entries) => memory.holds(entries),
    close: () => memory.close(),
  };
  let backlog: Backlog;
  const lease: LeaderLease = { renew: async () => leading, release: async () => undefined };
  const published: unknown[] = [];

  beforeAll(async () => {
    db = await Database.open({ kind: 'pglite' }, { migrate: true });
    registry = new JobRegistry(db);
    const pools = new PoolStore(db);
    await pools.seed([{ name: 'p', capacity: 2, rate: null }]);
    const relay = new OutboxRelay(db, { publish: async (ms) => void published.push(...ms) });
    backlog = observedBacklog(gated, (entries) => conductor.noteLanes(entries));
    conductor = new Conductor(
      db,
      pools,
      backlog,
      relay,
      new EventApplier(),
      lease,
      createLogger('test', 'silent'),
      { defaultCapacity: 10, refreshMs: 50, leaseRenewMs: 50 },
    );
    conductor.start();
    await eventually(async () => conductor.isLeading(), { until: (x) => x, what: 'lease' });
  }, 60_000); // pglite's start is slow on a busy machine
  afterAll(async () => {
    openGate(); // a failed test may have left the loop waiting at the gate
    await conductor?.stop();
    await db?.close();
  });

  async function arrive(count: number, extra: Record<string, unknown> = {}): Promise<BacklogEntry[]> {
    const results = await registry.submit(
      Array.from({ length: count }, () => ({
        ...submitJobRequestSchema.parse({ type: 'debug.echo', ...extra }),
        tenant: 't',
        pool: 'p',
      })),
    );
    return results.map((r) => backlogEntryOf(r.job));
  }

  async function inline(entries: BacklogEntry[], fail = false) {
    const outbox: OutboxMessage[] = [];
    let settle: ((ok: boolean) => void) | undefined;
    const queued = await db
      .transaction(async (tx) => {
        const d = await conductor.dispatchInline(tx, entries, outbox);
        settle = d.settle;
        if (fail) throw new Error('rolled back');
        return d.queued;
      })
      .then(
        (q) => (settle?.(true), q),
        (err: unknown) => {
          settle?.(false);
          if (!fail) throw err;
          return null;
        },
      );
    return { queued, dispatches: outbox.filter((m) => m.routingKey === 'p').length };
  }

  const states = async (entries: BacklogEntry[]) =>
    (
      await db.query<{ state: string; attempt: number }>(
        `SELECT state, attempt FROM jobs WHERE id = ANY($1::uuid[]) ORDER BY id`,
        [entries.map((e) => e.jobId)],
      )
    ).map((r) => `${r.state}@${r.attempt}`);

  const finish = (entries: BacklogEntry[]) =>
    db.query(`UPDATE jobs SET state = 'succeeded', finished_at = now() WHERE id = ANY($1::uuid[])`, [
      entries.map((e) => e.jobId),
    ]);

  /** Waits until the pool's whole capacity (2) is free for inline dispatch. */
  const open = () =>
    eventually(async () => conductor.inlineRoom('p'), {
      until: (n) => n === 2,
      what: 'pool p open for inline dispatch',
    });

  it('dispatches up to the room, highest priority first, and queues the rest', async () => {
    await open();
    const low = await arrive(2, { priority: 1 });
    const high = await arrive(1, { priority: 9 });
    const { queued, dispatches } = await inline([...low, ...high]);
    expect(dispatches).toBe(2);
    expect(queued!.map((e) => e.jobId)).toEqual([low[1]!.jobId]);
    expect(await states([...high, low[0]!])).toEqual(['queued@1', 'queued@1']);
    expect(conductor.dispatchedInline).toBe(2);
    // The pool is full now: a newcomer waits.
    const next = await arrive(1);
    expect((await inline(next)).dispatches).toBe(0);
    await finish([low[0]!, high[0]!]);
    // What waited goes through the backlog; the loop dispatches it once the room is seen.
    await backlog.add([...queued!, ...next]);
    await eventually(() => states([low[1]!, ...next]), {
      until: (s) => s.every((x) => x === 'queued@1'),
      what: 'the waiting two dispatched by the loop',
    });
    await finish([low[1]!, ...next]);
  });

  it('lets no arrival overtake an entry in the backlog, and resumes once the loop drained it', async () => {
    await open();
    gate = new Promise<void>((r) => (openGate = r));
    const blocked = await arrive(1);
    await backlog.add(blocked);
    // Room for both, but the loop has not taken `blocked` yet: the arrival queues behind it.
    const behind = await arrive(1);
    const { queued, dispatches } = await inline(behind);
    expect(dispatches).toBe(0);
    expect(queued!.map((e) => e.jobId)).toEqual([behind[0]!.jobId]);
    await backlog.add(behind);
    openGate();
    gate = Promise.resolve();
    await eventually(() => states([...blocked, ...behind]), {
      until: (s) => s.every((x) => x === 'queued@1'),
      what: 'both dispatched by the loop',
    });
    await finish([...blocked, ...behind]);
    await open();
    expect((await inline(await arrive(1))).dispatches).toBe(1);
    await db.query(`UPDATE jobs SET state = 'succeeded', finished_at = now() WHERE finished_at IS NULL`);
  });

  it('gives the room back when the transaction rolls back, and leaves delayed jobs to the backlog', async () => {
    await open();
    const before = conductor.dispatchedInline;
    const a = await arrive(2);
    expect((await inline(a, true)).queued).toBeNull();
    expect(await states(a)).toEqual(['queued@0', 'queued@0']);
    const delayed = await arrive(1, { runAt: new Date(Date.now() + 60_000).toISOString() });
    const { queued, dispatches } = await inline([...a, ...delayed]);
    expect(dispatches).toBe(2);
    expect(queued!.map((e) => e.jobId)).toEqual([delayed[0]!.jobId]);
    expect(conductor.dispatchedInline - before).toBe(2);
    await finish(a);
  });

  it('only the lease holder dispatches inline', async () => {
    leading = false;
    await eventually(async () => conductor.isLeading(), { until: (x) => !x, what: 'lease lost' });
    const a = await arrive(1);
    expect((await inline(a)).dispatches).toBe(0);
    leading = true;
  });
});
