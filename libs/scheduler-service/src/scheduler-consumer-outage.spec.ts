import { randomBytes } from 'node:crypto';
import { TcpOutage } from '@jobplane/testing';
import {
  createMessage,
  DEAD_LETTER_QUEUE,
  EVENTS_EXCHANGE,
  submitJobRequestSchema,
} from '@jobplane/contracts';
import { InProcessBus, jobplaneTopology } from '@jobplane/messaging';
import { Database, JobRegistry, OutboxRelay } from '@jobplane/persistence';
import { createLogger } from '@jobplane/telemetry';
import { EventApplier } from './event-applier';
import { SchedulerConsumer } from './scheduler-consumer';

const PG_URL = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');

/**
 * Found by the chaos suite (findings 7 and 8): while Postgres restarted, the scheduler requeued
 * every lifecycle message it could not apply, each came straight back, failed again, and after
 * its delivery limit was dead-lettered — outcomes the registry never saw (jobs left `queued` or
 * timed out later). The consumer must keep such messages and apply them once Postgres is back.
 */
describe('SchedulerConsumer while the registry is unavailable', () => {
  const schema = `test_${randomBytes(4).toString('hex')}`;
  const proxy = TcpOutage.of(PG_URL, 5432);
  let db: Database;
  let bus: InProcessBus;
  let consumer: SchedulerConsumer;
  let relay: OutboxRelay;
  const dead: unknown[] = [];

  beforeAll(async () => {
    await proxy.up();
    const url = proxy.through(PG_URL);
    db = await Database.open({ kind: 'postgres', url, schema }, { migrate: true });
    bus = new InProcessBus();
    await bus.start(jobplaneTopology(['default']));
    await bus.consume(DEAD_LETTER_QUEUE, (d) => (dead.push(d.body.toString()), d.ack()), { prefetch: 10 });
    relay = new OutboxRelay(db, { publish: async () => undefined, pollIntervalMs: 60_000 });
    const logger = createLogger('test', 'silent');
    consumer = new SchedulerConsumer(bus, db, relay, new EventApplier(), logger, async () => undefined);
    consumer.unavailableRetryMs = 100;
    await consumer.start();
  }, 60_000);

  afterAll(async () => {
    await consumer.stop();
    await bus.close();
    await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.close();
    await proxy.down();
  });

  it('keeps outcomes through a Postgres outage and applies them once it is back, none dead-lettered', async () => {
    const registry = new JobRegistry(db);
    const [r] = await registry.submit([
      { ...submitJobRequestSchema.parse({ type: 'debug.echo' }), tenant: 't', pool: 'default' },
    ]);
    const id = r!.job.id;
    await db.query(`UPDATE jobs SET state = 'queued', attempt = 1 WHERE id = $1`, [id]);

    await proxy.down();
    const started = createMessage('job.started', {
      jobId: id,
      tenant: 't',
      data: { attempt: 1, workerId: 'w1' },
    });
    const succeeded = createMessage('job.succeeded', {
      jobId: id,
      tenant: 't',
      data: { attempt: 1, result: { ok: true }, durationMs: 5 },
    });
    await bus.publish(
      [started, succeeded].map((m) => ({
        exchange: EVENTS_EXCHANGE,
        routingKey: m.type,
        messageId: m.id,
        body: Buffer.from(JSON.stringify(m)),
      })),
    );
    // Long enough for many more retries than the delivery limit (5) at 100 ms each.
    await new Promise((r) => setTimeout(r, 2_000));
    await proxy.up();

    let state: string | undefined;
    for (let i = 0; i < 150 && state !== 'succeeded'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await db
        .query<{ state: string }>(`SELECT state FROM jobs WHERE id = $1`, [id])
        .then((rows) => rows[0]?.state)
        .catch(() => undefined);
    }
    expect(state).toBe('succeeded');
    expect(dead).toEqual([]);
    const events = await db.query<{ type: string }>(
      `SELECT type FROM job_events WHERE job_id = $1 ORDER BY seq`,
      [id],
    );
    expect(events.map((e) => e.type)).toEqual(['submitted', 'started', 'succeeded']);
  }, 60_000);
});
