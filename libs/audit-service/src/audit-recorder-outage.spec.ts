import { randomBytes } from 'node:crypto';
import { TcpOutage } from '@jobplane/testing';
import { createMessage, DEAD_LETTER_QUEUE, EVENTS_EXCHANGE, uuidv7 } from '@jobplane/contracts';
import { InProcessBus, jobplaneTopology } from '@jobplane/messaging';
import { Database } from '@jobplane/persistence';
import { AuditRecorder } from './audit-recorder';
import { migrateAuditSchema } from './audit-schema';
import { auditTables } from './audit-tables';

const PG_URL = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const silent = { info: () => undefined, error: () => undefined, warn: () => undefined } as never;

/**
 * Found by the chaos suite (finding 8): a Postgres restart left lifecycle events out of the audit
 * trail. The recorder requeued each batch it could not write; the messages came straight back,
 * failed again and were dead-lettered after their delivery limit. They must wait for the database.
 */
describe('AuditRecorder while its database is unavailable', () => {
  const schema = `test_${randomBytes(4).toString('hex')}`;
  const audit = auditTables(`test_trail_${randomBytes(4).toString('hex')}`);
  const proxy = TcpOutage.of(PG_URL, 5432);
  let db: Database;
  let bus: InProcessBus;
  let recorder: AuditRecorder;
  const dead: string[] = [];

  beforeAll(async () => {
    await proxy.up();
    const url = proxy.through(PG_URL);
    db = await Database.open({ kind: 'postgres', url, schema }, { migrate: true });
    await migrateAuditSchema(db, audit, schema);
    bus = new InProcessBus();
    await bus.start(jobplaneTopology());
    await bus.consume(DEAD_LETTER_QUEUE, (d) => (dead.push(d.body.toString()), d.ack()), { prefetch: 10 });
    recorder = new AuditRecorder(bus, db, audit, silent);
    recorder.unavailableRetryMs = 100;
    await recorder.start();
  }, 60_000);

  afterAll(async () => {
    await recorder.stop();
    await bus.close();
    await db.query(`DROP SCHEMA "${schema}", ${audit.schema} CASCADE`);
    await db.close();
    await proxy.down();
  });

  it('records the events sent during an outage once it is back, none dead-lettered', async () => {
    const jobId = uuidv7();
    await proxy.down();
    const sent = [
      createMessage('job.started', { jobId, tenant: 't', data: { attempt: 1, workerId: 'w1' } }),
      createMessage('job.succeeded', { jobId, tenant: 't', data: { attempt: 1, result: {}, durationMs: 1 } }),
    ];
    await bus.publish(
      sent.map((m) => ({
        exchange: EVENTS_EXCHANGE,
        routingKey: m.type,
        messageId: m.id,
        body: Buffer.from(JSON.stringify(m)),
      })),
    );
    // Many more retries than the delivery limit (5) at 100 ms each.
    await new Promise((r) => setTimeout(r, 2_000));
    await proxy.up();
    let recorded: string[] = [];
    for (let i = 0; i < 150 && recorded.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      recorded = await db
        .query<{ event_id: string }>(`SELECT event_id FROM ${audit.records} WHERE job_id = $1 ORDER BY id`, [
          jobId,
        ])
        .then((rows) => rows.map((r) => r.event_id))
        .catch(() => []);
    }
    expect(recorded).toEqual(sent.map((m) => m.id));
    expect(dead).toEqual([]);
  }, 60_000);
});
