import { Database } from './database';
import { ClaimedOutboxMessage, enqueueOutbox, OutboxMessage } from './outbox';
import { OutboxRelay } from './outbox-relay';

/** The relay publishes a commit's rows at once, leaves others' young rows alone, and loses nothing. */
describe('OutboxRelay (eager)', () => {
  let db: Database;
  beforeAll(async () => {
    db = await Database.open({ kind: 'pglite' }, { migrate: true });
  }, 60_000); // pglite's start is slow on a busy machine
  afterAll(() => db?.close());
  afterEach(() => db.query(`DELETE FROM outbox`));

  let seq = 0;
  const message = (): OutboxMessage => ({
    exchange: 'x',
    routingKey: 'k',
    messageId: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
    body: `{"n":${seq}}`,
  });
  const rows = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox`))[0]!.n;
  const until = async (check: () => boolean | Promise<boolean>, ms = 5_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  function relayWith(publish: (batch: ClaimedOutboxMessage[]) => Promise<void>, eagerGraceMs = 10_000) {
    // A poll far in the future: anything published within the test came through the eager path.
    const relay = new OutboxRelay(db, { publish, pollIntervalMs: 60_000, eagerGraceMs });
    relay.start();
    return relay;
  }

  it('publishes the rows of a committed transaction at once, in order, then deletes them', async () => {
    const published: string[] = [];
    const relay = relayWith(async (batch) => void published.push(...batch.map((m) => m.messageId)));
    try {
      const sent = [message(), message(), message()];
      await db.transaction((tx) => enqueueOutbox(tx, sent));
      await until(() => published.length === 3);
      expect(published).toEqual(sent.map((m) => m.messageId));
      await until(async () => (await rows()) === 0);
      // A rolled back transaction publishes nothing.
      await db
        .transaction(async (tx) => {
          await enqueueOutbox(tx, [message()]);
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
      expect(published).toHaveLength(3);
    } finally {
      await relay.stop();
    }
  });

  it('leaves rows it did not write to the poller until they are past the grace', async () => {
    const published: string[] = [];
    const relay = new OutboxRelay(db, {
      publish: async (batch) => void published.push(...batch.map((m) => m.messageId)),
      pollIntervalMs: 20,
      eagerGraceMs: 400,
    });
    // Written outside a transaction of this process (another process's row, say): no eager publish.
    const m = message();
    await db.query(
      `INSERT INTO outbox (exchange, routing_key, message_id, body, headers) VALUES ($1, $2, $3, $4, '{}')`,
      [m.exchange, m.routingKey, m.messageId, m.body],
    );
    const written = Date.now();
    relay.start();
    try {
      await until(() => published.length === 1);
      expect(Date.now() - written).toBeGreaterThanOrEqual(350);
      expect(published).toEqual([m.messageId]);
    } finally {
      await relay.stop();
    }
  });

  it('retries a refused publish, and hands a batch it gives up on to the poller exactly once', async () => {
    const published: string[] = [];
    let refusals = 3;
    const relay = relayWith(async (batch) => {
      if (refusals-- > 0) throw new Error('broker unavailable');
      published.push(...batch.map((m) => m.messageId));
    });
    try {
      const first = message();
      await db.transaction((tx) => enqueueOutbox(tx, [first]));
      await until(() => published.length === 1);
      expect(published).toEqual([first.messageId]);
      await until(async () => (await rows()) === 0);
    } finally {
      await relay.stop();
    }
    // A broker down for longer than half the grace: the writer gives up, the poller publishes it once.
    const later: string[] = [];
    let down = true;
    const patient = new OutboxRelay(db, {
      publish: async (batch) => {
        if (down) throw new Error('broker unavailable');
        later.push(...batch.map((m) => m.messageId));
      },
      pollIntervalMs: 20,
      eagerGraceMs: 300,
    });
    patient.start();
    try {
      const m = message();
      await db.transaction((tx) => enqueueOutbox(tx, [m]));
      await new Promise((r) => setTimeout(r, 400));
      down = false;
      await until(() => later.length === 1);
      await until(async () => (await rows()) === 0);
      await new Promise((r) => setTimeout(r, 100));
      expect(later).toEqual([m.messageId]);
    } finally {
      await patient.stop();
    }
  });

  it('publishes each row once when two relays share the database (embedded mode runs two)', async () => {
    const published: string[] = [];
    const publish = async (batch: ClaimedOutboxMessage[]) =>
      void published.push(...batch.map((m) => m.messageId));
    const a = relayWith(publish);
    const b = relayWith(publish);
    try {
      const sent = Array.from({ length: 20 }, () => message());
      for (const m of sent) await db.transaction((tx) => enqueueOutbox(tx, [m]));
      await until(async () => (await rows()) === 0);
      await new Promise((r) => setTimeout(r, 100));
      expect(published.sort()).toEqual(sent.map((m) => m.messageId).sort());
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
