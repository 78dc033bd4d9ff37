import { randomBytes } from 'node:crypto';
import {
  auditQuerySchema,
  createMessage,
  createSchedulerTransitions,
  EVENTS_EXCHANGE,
  SchedulerTransition,
  uuidv7,
} from '@jobplane/contracts';
import { InProcessBus, jobplaneTopology } from '@jobplane/messaging';
import { Database } from '@jobplane/persistence';
import { AuditRecorder } from './audit-recorder';
import { migrateAuditSchema } from './audit-schema';
import { auditTables } from './audit-tables';
import { AuditTrail } from './audit-trail';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const silent = { info: () => undefined, error: () => undefined, warn: () => undefined } as never;

/** Transitions the scheduler decided, routed through the real topology to the recorder, on Postgres. */
describe('audit trail of scheduler transitions', () => {
  const schema = `test_audit_${randomBytes(4).toString('hex')}`;
  const audit = auditTables(`test_transitions_${randomBytes(4).toString('hex')}`);
  const tenant = `t-${randomBytes(3).toString('hex')}`;
  let db: Database;
  let bus: InProcessBus;
  let recorder: AuditRecorder;
  let trail: AuditTrail;

  beforeAll(async () => {
    db = await Database.open({ kind: 'postgres', url: PG_URL, schema }, { migrate: true });
    await migrateAuditSchema(db, audit, schema);
    bus = new InProcessBus();
    await bus.start(jobplaneTopology());
    recorder = new AuditRecorder(bus, db, audit, silent);
    await recorder.start();
    trail = new AuditTrail(db, audit);
  });

  afterAll(async () => {
    await recorder.stop();
    await bus.close();
    await db.query(`DROP SCHEMA "${schema}", ${audit.schema} CASCADE`);
    await db.close();
  });

  const transition = (jobId: string, event: string, attempt: number, t = tenant): SchedulerTransition => ({
    eventId: uuidv7(),
    jobId,
    tenant: t,
    event,
    attempt,
    data: { nextAttempt: attempt + 1 },
    occurredAt: new Date().toISOString(),
  });

  async function publish(messages: { id: string; type: string }[]) {
    await bus.publish(
      messages.map((m) => ({
        exchange: EVENTS_EXCHANGE,
        routingKey: m.type,
        messageId: m.id,
        body: Buffer.from(JSON.stringify(m)),
      })),
    );
  }

  async function recordsOf(t: string, n: number) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { items } = await trail.list(t, auditQuerySchema.parse({}));
      if (items.length >= n) return items;
      if (Date.now() > deadline) throw new Error(`audit never reached ${n} records (has ${items.length})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('records one record per transition, once, in order, chained per tenant, by the system', async () => {
    const jobId = uuidv7();
    const other = `o-${randomBytes(3).toString('hex')}`;
    const dispatched = transition(jobId, 'dispatched', 1);
    const started = createMessage('job.started', { jobId, tenant, data: { attempt: 1, workerId: 'w1' } });
    const lost = transition(jobId, 'worker_lost', 1);
    const otherTimeout = transition(uuidv7(), 'timeout', 1, other);
    const redispatched = transition(jobId, 'dispatched', 2);
    const first = createSchedulerTransitions([dispatched]);
    const second = createSchedulerTransitions([lost, otherTimeout, redispatched]);
    // A redelivered message, and a later message repeating an event: neither is recorded twice.
    const repeat = createSchedulerTransitions([redispatched]);
    await publish([first, started, second, first, repeat]);

    const items = await recordsOf(tenant, 4);
    await new Promise((r) => setTimeout(r, 200));
    const all = (await trail.list(tenant, auditQuerySchema.parse({}))).items;
    expect(all).toHaveLength(4);
    expect(items.map((r) => [r.seq, r.type, r.eventId])).toEqual([
      [1, 'job.dispatched', dispatched.eventId],
      [2, 'job.started', started.id],
      [3, 'job.worker_lost', lost.eventId],
      [4, 'job.dispatched', redispatched.eventId],
    ]);
    expect(items[2]).toMatchObject({
      jobId,
      actor: 'system',
      body: { type: 'scheduler.transitions', event: 'worker_lost', attempt: 1, data: { nextAttempt: 2 } },
    });
    expect(await trail.verify(tenant)).toMatchObject({ intact: true, checked: 4 });
    const otherItems = await recordsOf(other, 1);
    expect(otherItems.map((r) => [r.seq, r.type])).toEqual([[1, 'job.timeout']]);
    expect(await trail.verify(other)).toMatchObject({ intact: true, checked: 1 });
  });

  it('dead-letters a malformed transitions message instead of recording part of it', async () => {
    const bad = { ...createSchedulerTransitions([transition(uuidv7(), 'retrying', 1)]), transitions: [] };
    const before = recorder.recorded;
    await publish([bad]);
    const ok = createMessage('job.started', {
      jobId: uuidv7(),
      tenant,
      data: { attempt: 1, workerId: 'w2' },
    });
    await publish([ok]);
    await recordsOf(tenant, 5);
    expect(recorder.recorded).toBe(before + 1);
  });
});
