import { randomBytes } from 'node:crypto';
import { createServer, Socket, type Server } from 'node:net';
import { Database } from './database';
import { isStoreUnavailable } from './unavailable';

const PG_URL = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');

/** A TCP proxy in front of the real Postgres whose connections can be cut, as a crash cuts them. */
class Proxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(Number(PG_URL.port || 5432), PG_URL.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  async down(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server!.close(r));
  }
}

/**
 * Found by chaos scenario 7: a transaction whose connection died mid-way failed with TypeORM's
 * "Query runner already released" from the rollback, which hid the driver's error, so the api
 * answered 500 instead of 503 for a Postgres crash.
 */
describe('Database.transaction on a connection that dies', () => {
  const schema = `test_${randomBytes(4).toString('hex')}`;
  const proxy = new Proxy();
  let db: Database;

  beforeAll(async () => {
    await proxy.up();
    const url = new URL(PG_URL);
    url.port = String(proxy.port);
    db = await Database.open({ kind: 'postgres', url: url.toString(), schema }, { migrate: true });
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
