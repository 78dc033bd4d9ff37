import { randomBytes } from 'node:crypto';
import { uuidv7 } from '@jobplane/contracts';
import { Database, DatabaseOptions } from './database';
import { ClaimedOutboxMessage, enqueueOutbox } from './outbox';
import { OutboxRelay } from './outbox-relay';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const backends: [string, () => DatabaseOptions][] = [
  ['pglite', () => ({ kind: 'pglite' })],
  ['postgres', () => ({ kind: 'postgres', url: PG_URL, schema: `test_${randomBytes(4).toString('hex')}` })],
];

const message = () => ({ exchange: 'x', routingKey: 'r', messageId: uuidv7(), body: '{}' });

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() > end) throw new Error('condition not met in time');
}

/**
 * Finding 5 (chaos kill-scheduler): a relay that crashed after publishing left its rows, the next
 * relay published them again and two workers ran one attempt. A row the poller takes may have been
 * published by its writer, so it goes out marked `republish` (workers then claim the dispatch); the
 * writer's own eager publish, the common path, is never marked and costs nothing extra.
 */
describe.each(backends)('outbox republish marks on %s', (_name, options) => {
  let db: Database;
  let schema: string | undefined;

  beforeAll(async () => {
    const opts = options();
    schema = opts.kind === 'postgres' ? opts.schema : undefined;
    db = await Database.open(opts, { migrate: true });
  }, 60_000);

  afterEach(() => db.query(`DELETE FROM outbox`));

  afterAll(async () => {
    if (schema) await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.close();
  });

  it('marks the poller’s rows (left by a writer that crashed after its publish), not eager ones', async () => {
    // The crashed writer's row: committed, perhaps published, never deleted; now past the grace.
    const left = message();
    await db.transaction((tx) => enqueueOutbox(tx, [left]));
    await db.query(`UPDATE outbox SET created_at = now() - interval '1 minute'`);
    const published: ClaimedOutboxMessage[] = [];
    const relay = new OutboxRelay(db, {
      publish: async (batch) => void published.push(...batch),
      pollIntervalMs: 20,
      eagerGraceMs: 400,
    });
    relay.start();
    try {
      await until(() => published.length === 1);
      const fresh = message();
      await db.transaction((tx) => enqueueOutbox(tx, [fresh]));
      await until(() => published.length === 2);
      expect(published.map((m) => [m.messageId, m.republish ?? false])).toEqual([
        [left.messageId, true],
        [fresh.messageId, false],
      ]);
    } finally {
      await relay.stop();
    }
  });
});
