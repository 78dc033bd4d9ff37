import { randomBytes } from 'node:crypto';
import { uuidv7 } from '@jobplane/contracts';
import { Database, DatabaseOptions } from './database';
import { ClaimedOutboxMessage, enqueueOutbox, leaseOutbox } from './outbox';
import { OutboxRelay } from './outbox-relay';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const backends: [string, () => DatabaseOptions][] = [
  ['pglite', () => ({ kind: 'pglite' })],
  ['postgres', () => ({ kind: 'postgres', url: PG_URL, schema: `test_${randomBytes(4).toString('hex')}` })],
];

const message = () => ({ exchange: 'x', routingKey: 'r', messageId: uuidv7(), body: '{}' });

/** Outbox leases mark a possible second publish, against PGlite and real Postgres. */
describe.each(backends)('outbox leases on %s', (_name, options) => {
  let db: Database;
  let schema: string | undefined;

  beforeAll(async () => {
    const opts = options();
    schema = opts.kind === 'postgres' ? opts.schema : undefined;
    db = await Database.open(opts, { migrate: true });
  }, 60_000);

  afterEach(async () => {
    await db.query(`DELETE FROM outbox`);
  });

  afterAll(async () => {
    if (schema) await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.close();
  });

  it('hides leased rows from other relays and marks rows leased again after a lapsed lease', async () => {
    const written = [message(), message()];
    await db.transaction((tx) => enqueueOutbox(tx, written));
    const first = await db.transaction((tx) => leaseOutbox(tx, 10, 60_000));
    expect(first.map((m) => [m.messageId, m.republish])).toEqual(written.map((m) => [m.messageId, false]));
    expect(await db.transaction((tx) => leaseOutbox(tx, 10, 60_000))).toEqual([]);
    // The first relay died after publishing: its lease lapses and the rows go out again, marked.
    await db.query(`UPDATE outbox SET leased_until = now() - interval '1 second'`);
    const again = await db.transaction((tx) => leaseOutbox(tx, 10, 60_000));
    expect(again.map((m) => [m.messageId, m.republish])).toEqual(written.map((m) => [m.messageId, true]));
  });

  it('relays unmarked, and a batch whose publish failed goes out again marked, then is deleted', async () => {
    const written = [message(), message(), message()];
    await db.transaction((tx) => enqueueOutbox(tx, written));
    const published: ClaimedOutboxMessage[][] = [];
    let fail = true;
    const relay = new OutboxRelay(db, {
      publish: async (batch) => {
        published.push(batch);
        if (fail) throw new Error('broker refused part of the batch');
      },
    });
    await expect(relay.drain()).rejects.toThrow('broker refused');
    fail = false;
    expect(await relay.drain()).toBe(3);
    expect(published.map((b) => b.map((m) => m.republish))).toEqual([
      [false, false, false],
      [true, true, true],
    ]);
    expect(await db.query(`SELECT 1 FROM outbox`)).toEqual([]);
  });
});
