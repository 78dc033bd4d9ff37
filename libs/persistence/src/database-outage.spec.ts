import { randomBytes } from 'node:crypto';
import { TcpOutage } from '@jobplane/testing';
import { Database } from './database';
import { isStoreUnavailable } from './unavailable';

const PG_URL = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');

/**
 * Found by chaos scenario 7: a transaction whose connection died mid-way failed with TypeORM's
 * "Query runner already released" from the rollback, which hid the driver's error, so the api
 * answered 500 instead of 503 for a Postgres crash.
 */
describe('Database.transaction on a connection that dies', () => {
  const schema = `test_${randomBytes(4).toString('hex')}`;
  const proxy = TcpOutage.of(PG_URL, 5432);
  let db: Database;

  beforeAll(async () => {
    await proxy.up();
    const url = proxy.through(PG_URL);
    db = await Database.open({ kind: 'postgres', url, schema }, { migrate: true });
  }, 60_000);

  afterAll(async () => {
    await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.close();
    await proxy.down();
  });

  it('fails with the driver error (an unavailable store), not the failed rollback', async () => {
    const err = await db
      .transaction(async (tx) => {
        await tx.query(`SELECT 1`);
        proxy.cut();
        await tx.query(`SELECT pg_sleep(0.1)`);
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).not.toBe('QueryRunnerAlreadyReleasedError');
    expect(isStoreUnavailable(err)).toBe(true);
    // The pool recovers: the next transaction works.
    expect(await db.transaction((tx) => tx.query(`SELECT 1 AS one`))).toEqual([{ one: 1 }]);
  }, 30_000);
});
