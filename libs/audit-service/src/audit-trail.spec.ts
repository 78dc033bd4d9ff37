import { randomBytes } from 'node:crypto';
import { auditQuerySchema, createMessage, EVENTS_EXCHANGE, uuidv7 } from '@jobplane/contracts';
import { InProcessBus, jobplaneTopology, outboxPublisher } from '@jobplane/messaging';
import { Database, DatabaseOptions, OutboxRelay, PoolStore, ScheduleStore } from '@jobplane/persistence';
import { AuditRecorder } from './audit-recorder';
import { migrateAuditSchema } from './audit-schema';
import { auditTables } from './audit-tables';
import { AuditTrail } from './audit-trail';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const silent = { info: () => undefined, error: () => undefined, warn: () => undefined } as never;

const backends: [string, () => DatabaseOptions][] = [
  ['pglite', () => ({ kind: 'pglite' })],
  [
    'postgres',
    () => ({ kind: 'postgres', url: PG_URL, schema: `test_audit_${randomBytes(4).toString('hex')}` }),
  ],
];

describe.each(backends)('audit trail on %s', (_name, options) => {
  let db: Database;
  let bus: InProcessBus;
  let recorder: AuditRecorder;
  let trail: AuditTrail;
  let schema: string | undefined;
  const audit = auditTables(`test_trail_${randomBytes(4).toString('hex')}`);
  const tenant = `t-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    const opts = options();
    schema = opts.kind === 'postgres' ? opts.schema : undefined;
    db = await Database.open(opts, { migrate: true });
    await migrateAuditSchema(db, audit, schema ?? 'public');
    bus = new InProcessBus();
    await bus.start(jobplaneTopology());
    recorder = new AuditRecorder(bus, db, audit, silent);
    await recorder.start();
    trail = new AuditTrail(db, audit);
  });

  afterAll(async () => {
    await recorder.stop();
    await bus.close();
    if (schema) await db.query(`DROP SCHEMA "${schema}", ${audit.schema} CASCADE`);
    await db.close();
  });

  /** Publishes lifecycle messages for one job as the services would. */
  async function lifecycle(jobId: string, t = tenant) {
    const messages = [
      createMessage('job.started', { jobId, tenant: t, data: { attempt: 1, workerId: 'w1' } }),
      createMessage('job.progress', { jobId, tenant: t, data: { attempt: 1, progress: { percent: 50 } } }),
      createMessage('job.succeeded', {
        jobId,
        tenant: t,
        data: { attempt: 1, result: { ok: true }, durationMs: 3 },
      }),
    ];
    await publish(messages);
    return messages;
  }

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

  async function until(count: () => Promise<number>, n: number) {
    const deadline = Date.now() + 10_000;
    while ((await count()) < n) {
      if (Date.now() > deadline) throw new Error(`audit never reached ${n} records`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const countFor = (t: string) => async () =>
    Number((await db.query(`SELECT count(*) AS n FROM ${audit.records} WHERE tenant = $1`, [t]))[0]!.n);
  const query = (q: Record<string, unknown> = {}) => trail.list(tenant, auditQuerySchema.parse(q));

  it('records each lifecycle message once, in order, chained, with the worker as actor', async () => {
    const jobId = uuidv7();
    const sent = await lifecycle(jobId);
    await publish([sent[1]!]); // a redelivered duplicate
    await until(countFor(tenant), 3);
    await new Promise((r) => setTimeout(r, 100));
    const { items } = await query({ jobId });
    expect(items.map((r) => [r.seq, r.type, r.eventId])).toEqual(sent.map((m, i) => [i + 1, m.type, m.id]));
    expect(items[0]!.actor).toBe('worker:w1');
    expect(items[1]!.prevHash).toBe(items[0]!.hash);
    expect(await trail.verify(tenant)).toMatchObject({ intact: true, checked: 3, brokenAt: null });
  });

  it('records administrative actions with their actor, committed with the change', async () => {
    const relay = new OutboxRelay(db, { publish: outboxPublisher(bus), pollIntervalMs: 20 });
    relay.start();
    try {
      await new PoolStore(db).patch('gpu', { capacity: 3 }, 10, { tenant, id: 'key_admin1' });
      const schedule = await new ScheduleStore(db).create(
        tenant,
        { everySeconds: 60, paused: true, job: { type: 'debug.echo' } } as never,
        'key_admin1',
      );
      await until(countFor(tenant), 5);
      const { items } = await query({ actor: 'key_admin1' });
      expect(items.map((r) => r.type)).toEqual(['admin.pool.updated', 'admin.schedule.created']);
      expect(items[1]!.body).toMatchObject({ target: { kind: 'schedule', id: schedule.id } });
    } finally {
      await relay.stop();
    }
  });

  it('pages with a cursor and filters by type and time', async () => {
    const first = await query({ limit: 2 });
    expect(first.items).toHaveLength(2);
    const second = await query({ limit: 2, cursor: first.nextCursor });
    expect(second.items[0]!.seq).toBe(3);
    expect((await query({ type: 'job.progress' })).items).toHaveLength(1);
    expect((await query({ to: '2000-01-01T00:00:00Z' })).items).toHaveLength(0);
    const exported = [];
    for await (const r of trail.export(tenant, {})) exported.push(r.seq);
    expect(exported).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses UPDATE and DELETE issued directly in SQL', async () => {
    await expect(
      db.query(`UPDATE ${audit.records} SET type = 'x' WHERE tenant = $1`, [tenant]),
    ).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM ${audit.records} WHERE tenant = $1`, [tenant])).rejects.toThrow(
      /append-only/,
    );
  });

  it('names the first record a superuser altered, and a removed one', async () => {
    const t = `tamper-${randomBytes(3).toString('hex')}`;
    await lifecycle(uuidv7(), t);
    await lifecycle(uuidv7(), t);
    await until(countFor(t), 6);
    await bypassTrigger(
      `UPDATE ${audit.records} SET body = jsonb_set(body, '{data,attempt}', '7') WHERE tenant = $1 AND tenant_seq = 4`,
      [t],
    );
    expect(await trail.verify(t)).toMatchObject({
      intact: false,
      brokenAt: 4,
      reason: 'hash_mismatch',
      checked: 3,
    });
    await bypassTrigger(`DELETE FROM ${audit.records} WHERE tenant = $1 AND tenant_seq = 2`, [t]);
    expect(await trail.verify(t)).toMatchObject({ intact: false, brokenAt: 2, reason: 'missing_record' });
  });

  it('keeps the chain verifiable after a retention purge, and extends it from the checkpoint', async () => {
    const t = `purge-${randomBytes(3).toString('hex')}`;
    await lifecycle(uuidv7(), t);
    await until(countFor(t), 3);
    const removed = await trail.purge(new Date(Date.now() + 1000));
    expect(removed).toBeGreaterThanOrEqual(3);
    expect(await countFor(t)()).toBe(0);
    await lifecycle(uuidv7(), t);
    await until(countFor(t), 3);
    const after = await trail.verify(t);
    expect(after).toMatchObject({ intact: true, fromCheckpoint: 3, checked: 3 });
    expect((await trail.list(t, auditQuerySchema.parse({}))).items.map((r) => r.seq)).toEqual([4, 5, 6]);
    await expect(db.query(`DELETE FROM ${audit.checkpoints} WHERE tenant = $1`, [t])).rejects.toThrow(
      /append-only/,
    );
  });

  /** What a database superuser can do: switch the guard trigger off for one statement. */
  async function bypassTrigger(sql: string, params: unknown[]) {
    await db.transaction(async (tx) => {
      await tx.query(`ALTER TABLE ${audit.records} DISABLE TRIGGER audit_records_append_only`);
      await tx.query(sql, params);
      await tx.query(`ALTER TABLE ${audit.records} ENABLE TRIGGER audit_records_append_only`);
    });
  }
});
