import { randomBytes } from 'node:crypto';
import {
  createMessage,
  NOTIFY_EXCHANGE,
  parseEventNotification,
  submitJobRequestSchema,
} from '@jobplane/contracts';
import { InProcessBus, jobplaneTopology, silentLogger } from '@jobplane/messaging';
import { Database, JobRegistry, toJobEventView } from '@jobplane/persistence';
import { EventApplier } from './event-applier';
import { EventNotifier } from './event-notifier';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined } as never;

/** The applier announces exactly what it committed (real Postgres, in-process bus). */
describe('event notifications after commit', () => {
  const schema = `test_notify_${randomBytes(4).toString('hex')}`;
  let db: Database;
  let bus: InProcessBus;
  let applier: EventApplier;
  const received: unknown[] = [];
  let messages = 0;

  beforeAll(async () => {
    db = await Database.open(
      {
        kind: 'postgres',
        url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
        schema,
      },
      { migrate: true },
    );
    bus = new InProcessBus({ logger: silentLogger });
    await bus.start(jobplaneTopology());
    const { queues } = await bus.declare({
      exchanges: [],
      queues: [{ name: '', kind: 'exclusive', bindings: [{ exchange: NOTIFY_EXCHANGE, routingKey: '' }] }],
    });
    await bus.consume(
      queues[0]!,
      (d) => {
        messages++;
        received.push(...(parseEventNotification(d.body)?.events ?? []));
        d.ack();
      },
      { prefetch: 10 },
    );
    applier = new EventApplier(10, undefined, new EventNotifier(bus, silent));
  });

  afterAll(async () => {
    await bus.close();
    await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.close();
  });

  beforeEach(() => {
    received.length = 0;
    messages = 0;
  });

  const settle = () => new Promise((r) => setTimeout(r, 50));

  async function newJob() {
    const [r] = await new JobRegistry(db).submit([
      { ...submitJobRequestSchema.parse({ type: 'debug.echo' }), tenant: 'acme', pool: 'p1' },
    ]);
    return r!.job;
  }

  it('announces seq 1 and a dispatch with the seqs the registry gave them, in one message', async () => {
    const job = await newJob();
    const submitted = createMessage('job.submitted', {
      jobId: job.id,
      tenant: 'acme',
      occurredAt: job.createdAt,
      data: {
        type: 'debug.echo',
        pool: 'p1',
        priority: job.priority,
        payload: {},
        maxAttempts: 3,
        runAt: null,
        backoff: null,
        timeouts: null,
        labels: {},
      },
    });
    await applier.transaction(db, async (tx) => {
      await applier.apply(tx, submitted, []);
      await applier.dispatchIfDue(tx, job.id, 0, null, []);
    });
    await settle();
    // The same events the registry holds (as the api would read them), sent together.
    const history = await new JobRegistry(db).events('acme', job.id, 0);
    expect(received).toEqual(
      history.map((e) => ({
        ...toJobEventView(e),
        tenant: 'acme',
        pool: 'p1',
        jobType: 'debug.echo',
      })),
    );
    expect(messages).toBe(1);
    expect(received.map((e) => (e as { type: string }).type)).toEqual(['submitted', 'dispatched']);
  });

  it('announces nothing when the transaction rolls back', async () => {
    const job = await newJob();
    await expect(
      applier.transaction(db, async (tx) => {
        await applier.dispatchIfDue(tx, job.id, 0, null, []);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await settle();
    expect(received).toEqual([]);
  });

  it('announces nothing for a fenced-out (duplicate) update', async () => {
    const job = await newJob();
    await applier.transaction(db, (tx) => applier.dispatchIfDue(tx, job.id, 0, null, []));
    await settle();
    received.length = 0;
    await applier.transaction(db, (tx) => applier.dispatchIfDue(tx, job.id, 0, null, []));
    await settle();
    expect(received).toEqual([]);
  });
});
