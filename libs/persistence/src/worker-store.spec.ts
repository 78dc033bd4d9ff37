import { randomBytes } from 'node:crypto';
import {
  createWorkerHeartbeat,
  HandlerAnnouncement,
  submitJobRequestSchema,
  uuidv7,
  WorkerHeartbeat,
} from '@jobplane/contracts';
import { Database, DatabaseOptions } from './database';
import { handlerDefaults, HandlerTypeStore } from './handler-type-store';
import { JobRegistry } from './job-registry';
import { WorkerStore } from './worker-store';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const backends: [string, () => DatabaseOptions][] = [
  ['pglite', () => ({ kind: 'pglite' })],
  ['postgres', () => ({ kind: 'postgres', url: PG_URL, schema: `test_${randomBytes(4).toString('hex')}` })],
];

const resize: HandlerAnnouncement = {
  type: 'image.resize',
  pool: 'gpu',
  execution: 'thread',
  timeouts: { hardMs: 30_000 },
  retry: { maxAttempts: 2, backoff: { type: 'fixed', baseMs: 100 } },
  payloadSchema: { type: 'object', properties: { url: { type: 'string' } } },
};

function beat(
  workerId: string,
  over: Partial<WorkerHeartbeat['data']> = {},
  startedAt = new Date().toISOString(),
): WorkerHeartbeat {
  return createWorkerHeartbeat(workerId, {
    host: 'h1',
    pid: 42,
    version: '1.0.0',
    pools: [{ pool: 'gpu', concurrency: 2 }],
    running: [],
    draining: false,
    startedAt,
    ...over,
  });
}

/** Heartbeats -> workers and the handler registry, against PGlite and real Postgres. */
describe.each(backends)('worker store and handler registry on %s', (_name, options) => {
  let db: Database;
  let workers: WorkerStore;
  let handlers: HandlerTypeStore;
  let schema: string | undefined;

  beforeAll(async () => {
    const opts = options();
    schema = opts.kind === 'postgres' ? opts.schema : undefined;
    db = await Database.open(opts, { migrate: true });
    workers = new WorkerStore(db);
    handlers = new HandlerTypeStore(db);
  }, 60_000);

  afterAll(async () => {
    if (schema) await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.close();
  });

  beforeEach(async () => {
    await db.query(`DELETE FROM workers`);
    await db.query(`DELETE FROM handler_types`);
  });

  it('records the handlers a heartbeat declares and counts the workers serving each', async () => {
    const jobId = uuidv7();
    await workers.record([
      beat('w1', { handlers: [resize], running: [{ jobId, attempt: 1, pool: 'gpu' }] }),
      beat('w2', { handlers: [resize] }),
    ]);
    const [w1] = await workers.list(60_000);
    expect(w1).toMatchObject({ id: 'w1', state: 'online', handlers: ['image.resize'] });
    expect(w1!.running).toEqual([{ jobId, attempt: 1, pool: 'gpu' }]);
    expect(await handlers.list(60_000)).toEqual([
      expect.objectContaining({ ...resize, workers: 2, declaredBy: expect.stringMatching(/^w[12]$/) }),
    ]);
    const defaults = await db.transaction((tx) => handlerDefaults(tx, ['image.resize', 'never.announced']));
    expect([...defaults.keys()]).toEqual(['image.resize']);
    expect(defaults.get('image.resize')).toEqual({
      pool: 'gpu',
      timeouts: { hardMs: 30_000 },
      retry: resize.retry,
    });
  });

  it('accepts heartbeats of older workers without handlers, keeping what they said before', async () => {
    await workers.record([beat('w1', { handlers: [resize] })]);
    const old = beat('w1');
    delete old.data.handlers;
    await workers.record([old]);
    expect((await workers.list())[0]!.handlers).toEqual(['image.resize']);
    await workers.record([beat('w2')]);
    expect((await workers.list()).find((w) => w.id === 'w2')!.handlers).toEqual([]);
  });

  it('keeps the declaration of the worker started last when workers disagree (rolling deploy)', async () => {
    const older = new Date(Date.now() - 60_000).toISOString();
    const newer = new Date().toISOString();
    await workers.record([beat('new', { handlers: [{ ...resize, pool: 'gpu-v2' }] }, newer)]);
    await workers.record([beat('old', { handlers: [resize] }, older)]);
    const [h] = await handlers.list(60_000);
    expect(h).toMatchObject({ pool: 'gpu-v2', declaredBy: 'new', workers: 2 });
  });

  it('writes a declaration only when it changed', async () => {
    await workers.record([beat('w1', { handlers: [resize] })]);
    const [first] = await handlers.list(60_000);
    await workers.record([beat('w1', { handlers: [resize] })]);
    expect((await handlers.list(60_000))[0]!.updatedAt).toEqual(first!.updatedAt);
    await workers.record([beat('w1', { handlers: [{ ...resize, execution: 'process' }] })]);
    const [changed] = await handlers.list(60_000);
    expect(changed!.execution).toBe('process');
  });

  it('lists silent workers as offline, stops counting them, and prunes them later', async () => {
    await workers.record([beat('w1', { handlers: [resize] }), beat('w2', { draining: true })]);
    expect((await workers.list(60_000)).map((w) => w.state)).toEqual(['online', 'draining']);
    await db.query(`UPDATE workers SET last_seen_at = now() - interval '2 minutes' WHERE id = 'w1'`);
    expect((await workers.list(60_000)).map((w) => w.state)).toEqual(['offline', 'draining']);
    expect((await handlers.list(60_000))[0]!.workers).toBe(0);
    expect(await workers.prune(5 * 60_000)).toBe(0);
    expect(await workers.prune(60_000)).toBe(1);
    expect((await workers.list()).map((w) => w.id)).toEqual(['w2']);
    // The declaration outlives its workers: defaults still apply to a pool scaled to zero.
    expect(await handlers.list(60_000)).toEqual([
      expect.objectContaining({ type: 'image.resize', workers: 0 }),
    ]);
  });

  it('gives submits that leave them out the declared pool, retry policy and limits', async () => {
    await workers.record([
      beat('w1', { handlers: [{ ...resize, timeouts: { softMs: 1_000, hardMs: 30_000 } }] }),
    ]);
    const registry = new JobRegistry(db);
    const submit = (body: Record<string, unknown>) =>
      registry.submit([{ ...submitJobRequestSchema.parse(body), tenant: 'acme' }]).then(([r]) => r!);
    const bare = await submit({ type: 'image.resize', idempotencyKey: 'k1' });
    expect(bare.job).toMatchObject({
      pool: 'gpu',
      maxAttempts: 2,
      backoff: { type: 'fixed', baseMs: 100 },
      timeouts: { softMs: 1_000, hardMs: 30_000 },
    });
    const own = await submit({ type: 'image.resize', pool: 'cpu', maxAttempts: 5, timeouts: { hardMs: 10 } });
    expect(own.job).toMatchObject({ pool: 'cpu', maxAttempts: 5, timeouts: { softMs: 1_000, hardMs: 10 } });
    const unknown = await submit({ type: 'nobody.declared' });
    expect(unknown.job).toMatchObject({ pool: 'default', maxAttempts: 3, timeouts: null, backoff: null });
    // A changed declaration does not turn the same request into an idempotency conflict.
    await workers.record([
      beat('w1', { handlers: [{ ...resize, pool: 'gpu-v2' }] }, new Date().toISOString()),
    ]);
    const again = await submit({ type: 'image.resize', idempotencyKey: 'k1' });
    expect(again).toMatchObject({ created: false, job: { id: bare.job.id, pool: 'gpu' } });
  });
});
