import { randomBytes } from 'node:crypto';
import { listJobsQuerySchema, submitJobRequestSchema, uuidv7 } from '@jobplane/contracts';
import { ApiKeyStore, generateApiKey, parseApiKey } from './api-key-store';
import { Database, DatabaseOptions } from './database';
import { IdempotencyConflictError, IDEMPOTENCY_TTL_MS, purgeExpiredIdempotencyKeys } from './idempotency';
import { JobRegistry, JobStateError, NewJob, QueueFullError } from './job-registry';
import { applyGuardedUpdate } from './job-updates';
import { claimOutbox } from './outbox';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const backends: [string, () => DatabaseOptions][] = [
  ['pglite', () => ({ kind: 'pglite' })],
  ['postgres', () => ({ kind: 'postgres', url: PG_URL, schema: `test_${randomBytes(4).toString('hex')}` })],
];

const newJob = (tenant: string, over: Record<string, unknown> = {}): NewJob => ({
  ...submitJobRequestSchema.parse({ type: 'debug.echo', payload: { n: 1 }, ...over }),
  tenant,
  pool: 'default',
});

/** Key store, idempotency, batch, filters, paging and retry against PGlite and real Postgres. */
describe.each(backends)('REST storage on %s', (_name, options) => {
  let db: Database;
  let clock = new Date();
  let registry: JobRegistry;
  let keys: ApiKeyStore;
  let schema: string | undefined;

  beforeAll(async () => {
    const opts = options();
    schema = opts.kind === 'postgres' ? opts.schema : undefined;
    db = await Database.open(opts, { migrate: true });
    registry = new JobRegistry(db, () => clock);
    keys = new ApiKeyStore(db, () => clock);
  }, 60_000);

  afterAll(async () => {
    if (schema) await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.close();
  });

  beforeEach(() => {
    clock = new Date();
  });

  describe('API keys', () => {
    it('stores only the hash of the secret and verifies the full key', async () => {
      const { key, record } = await keys.create({ tenant: 'acme', name: 'ci', scopes: ['jobs:read'] });
      const { prefix, secret } = parseApiKey(key)!;
      expect(record).toMatchObject({ prefix, tenant: 'acme', scopes: ['jobs:read'], revokedAt: null });
      const [row] = await db.query(`SELECT * FROM api_keys WHERE id = $1`, [record.id]);
      expect(JSON.stringify(row)).not.toContain(secret);
      expect(await keys.verify(key)).toMatchObject({ ok: true, record: { id: record.id } });
      // Same prefix, wrong secret; and garbage.
      expect(await keys.verify(`jp_${prefix}_${'A'.repeat(43)}`)).toEqual({ ok: false, reason: 'unknown' });
      expect(await keys.verify('jp_nope')).toEqual({ ok: false, reason: 'malformed' });
      expect(await keys.verify(generateApiKey())).toEqual({ ok: false, reason: 'unknown' });
    });

    it('refuses a revoked key and an expired one; lists without secrets', async () => {
      const revoked = await keys.create({ tenant: 'beta', name: 'r', scopes: ['admin'] });
      expect(await keys.revoke(revoked.record.id)).toMatchObject({ revokedAt: expect.any(Date) });
      expect(await keys.verify(revoked.key)).toEqual({ ok: false, reason: 'revoked' });
      expect(await keys.revoke(uuidv7())).toBeNull();
      const expiring = await keys.create({
        tenant: 'beta',
        name: 'e',
        scopes: ['jobs:write'],
        expiresAt: new Date(clock.getTime() + 60_000),
      });
      expect((await keys.verify(expiring.key)).ok).toBe(true);
      clock = new Date(clock.getTime() + 61_000);
      expect(await keys.verify(expiring.key)).toEqual({ ok: false, reason: 'expired' });
      const listed = await keys.list('beta');
      expect(listed.map((k) => k.name)).toEqual(['r', 'e']);
      expect(JSON.stringify(listed)).not.toContain(parseApiKey(expiring.key)!.secret);
    });

    it('upserts an operator key: re-installing restores a revoked one with its new secret', async () => {
      const key = generateApiKey();
      const first = await keys.upsert(key, { tenant: 'default', name: 'bootstrap', scopes: ['admin'] });
      await keys.revoke(first.id);
      const again = await keys.upsert(key, { tenant: 'default', name: 'bootstrap', scopes: ['admin'] });
      expect(again.id).toBe(first.id);
      expect(await keys.verify(key)).toMatchObject({ ok: true });
      await expect(keys.upsert('not-a-key', { tenant: 't', name: 'n', scopes: ['admin'] })).rejects.toThrow(
        /jp_<prefix>_<secret>/,
      );
    });
  });

  describe('idempotency', () => {
    it('returns the first job for the same body, refuses another body, and forgets the key after 24 h', async () => {
      const tenant = `idem-${uuidv7()}`;
      const [first] = await registry.submit([newJob(tenant, { idempotencyKey: 'k1' })]);
      // Same body, fields in another order: the same request.
      const [again] = await registry.submit([
        { ...newJob(tenant, { labels: {}, idempotencyKey: 'k1' }), payload: { n: 1 } },
      ]);
      expect(again).toMatchObject({ created: false, job: { id: first!.job.id } });
      await expect(
        registry.submit([newJob(tenant, { idempotencyKey: 'k1', payload: { n: 2 } })]),
      ).rejects.toBeInstanceOf(IdempotencyConflictError);
      // Keys are per tenant.
      const [otherTenant] = await registry.submit([newJob(`${tenant}-b`, { idempotencyKey: 'k1' })]);
      expect(otherTenant!.created).toBe(true);
      clock = new Date(clock.getTime() + IDEMPOTENCY_TTL_MS + 1_000);
      const [later] = await registry.submit([newJob(tenant, { idempotencyKey: 'k1', payload: { n: 2 } })]);
      expect(later!.created).toBe(true);
      expect(later!.job.id).not.toBe(first!.job.id);
    });

    it('answers a conflict per item in a batch, and purges expired keys', async () => {
      const tenant = `idem-${uuidv7()}`;
      await registry.submit([newJob(tenant, { idempotencyKey: 'a' })]);
      const outcomes = await registry.submitEach([
        newJob(tenant, { idempotencyKey: 'a' }),
        newJob(tenant, { idempotencyKey: 'a', priority: 1 }),
        newJob(tenant, { idempotencyKey: 'b' }),
        newJob(tenant, { idempotencyKey: 'b' }),
      ]);
      expect(outcomes.map((o) => ('conflict' in o ? 'conflict' : o.created))).toEqual([
        false,
        'conflict',
        true,
        false,
      ]);
      const future = new Date(Date.now() + 2 * IDEMPOTENCY_TTL_MS);
      expect(await db.transaction((tx) => purgeExpiredIdempotencyKeys(tx, future))).toBeGreaterThanOrEqual(2);
      const left = await db.query(`SELECT * FROM idempotency_keys WHERE tenant = $1`, [tenant]);
      expect(left).toHaveLength(0);
    });
  });

  it('creates 1,000 jobs in one call, with their events and outbox messages', async () => {
    const tenant = `batch-${uuidv7()}`;
    const outcomes = await registry.submitEach(
      Array.from({ length: 1000 }, (_, i) => newJob(tenant, { payload: { i } })),
    );
    expect(outcomes.every((o) => 'job' in o && o.created)).toBe(true);
    const [counts] = await db.query<{ jobs: number; events: number }>(
      `SELECT (SELECT count(*)::int FROM jobs WHERE tenant = $1) AS jobs,
              (SELECT count(*)::int FROM job_events e JOIN jobs j ON j.id = e.job_id WHERE j.tenant = $1) AS events`,
      [tenant],
    );
    expect(counts).toEqual({ jobs: 1000, events: 1000 });
    const outbox = await db.transaction((tx) => claimOutbox(tx, 100_000));
    expect(outbox.filter((m) => m.body.includes(tenant))).toHaveLength(1000);
  }, 60_000);

  it('caps queued jobs per tenant, refusing the whole submit', async () => {
    const tenant = `cap-${uuidv7()}`;
    const limits = { maxQueued: (t: string) => (t === tenant ? 3 : undefined) };
    await registry.submit([newJob(tenant), newJob(tenant)], limits);
    await expect(registry.submitEach([newJob(tenant), newJob(tenant)], limits)).rejects.toBeInstanceOf(
      QueueFullError,
    );
    await registry.submit([newJob(tenant)], limits);
    await expect(registry.submit([newJob(tenant)], limits)).rejects.toThrow(/3 queued jobs.*cap of 3/);
  });

  it('filters by label and created range, and pages stably while jobs are inserted between pages', async () => {
    const tenant = `list-${uuidv7()}`;
    const t0 = new Date();
    await registry.submit(
      Array.from({ length: 6 }, (_, i) =>
        newJob(tenant, { labels: { team: i % 2 ? 'a' : 'b', env: 'prod' } }),
      ),
    );
    const q = (over: Record<string, unknown>) => listJobsQuerySchema.parse({ limit: '2', ...over });
    const seen: string[] = [];
    let cursor: string | null | undefined;
    let inserted = 0;
    do {
      const page = await registry.list(
        tenant,
        q({ label: ['team:a', 'env:prod'], ...(cursor ? { cursor } : {}) }),
      );
      seen.push(...page.items.map((j) => j.id));
      // Newer jobs that match arrive between pages; the walk neither repeats nor skips.
      await registry.submit([newJob(tenant, { labels: { team: 'a', env: 'prod' } })]);
      inserted++;
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(3);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect((await registry.list(tenant, q({ label: 'team:c', limit: '50' }))).items).toHaveLength(0);
    const after = await registry.list(
      tenant,
      q({ createdAfter: new Date(t0.getTime() - 1000).toISOString(), limit: '500' }),
    );
    expect(inserted).toBe(2);
    expect(after.items).toHaveLength(6 + inserted);
    const before = await registry.list(
      tenant,
      q({ createdBefore: new Date(t0.getTime() - 1000).toISOString() }),
    );
    expect(before.items).toHaveLength(0);
  });

  it('retries a failed job as a new attempt through the outbox, and refuses other states', async () => {
    const tenant = `retry-${uuidv7()}`;
    const { job } = (await registry.submit([newJob(tenant, { maxAttempts: 1 })]))[0]!;
    await expect(registry.retry(tenant, job.id)).rejects.toBeInstanceOf(JobStateError); // queued
    const ev = (type: string) => ({ id: uuidv7(), type, attempt: 1, data: {}, occurredAt: new Date() });
    await db.transaction(async (tx) => {
      await applyGuardedUpdate(tx, {
        jobId: job.id,
        fromStates: ['queued'],
        attempt: 0,
        set: { attempt: 1, state: 'running' },
        event: ev('started'),
      });
      await applyGuardedUpdate(tx, {
        jobId: job.id,
        fromStates: ['running'],
        set: {
          state: 'failed',
          finishedAt: new Date(),
          error: { code: 'x', message: 'boom', retryable: false },
        },
        event: ev('failed'),
      });
    });
    await expect(registry.retry('someone-else', job.id)).rejects.toThrow(/not found/);
    const retried = await registry.retry(tenant, job.id, 'again');
    expect(retried).toMatchObject({ state: 'queued', attempt: 1, maxAttempts: 2, finishedAt: null });
    expect(retried.runAt).toBeInstanceOf(Date);
    const events = await registry.events(tenant, job.id);
    expect(events.at(-1)).toMatchObject({
      type: 'retry_requested',
      data: { previousState: 'failed', nextAttempt: 2, reason: 'again' },
    });
    const outbox = await db.transaction((tx) => claimOutbox(tx, 100_000));
    const msg = outbox.find((m) => m.routingKey === 'job.retry_requested' && m.body.includes(job.id));
    expect(JSON.parse(msg!.body).data).toEqual({ attempt: 1, reason: 'again' });
    await expect(registry.retry(tenant, job.id)).rejects.toBeInstanceOf(JobStateError); // queued again
  });
});
