import { startTestApp, TestApp } from './test-app.spec-helper';

/** The REST job surface on the real module (PGlite): idempotency, batch, strict queries, limits. */
describe('REST jobs surface', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ TENANT_RATE_LIMIT: '*:100000,slow:2', RATE_LIMIT_BURST_SECONDS: '2' });
  }, 60_000);

  afterAll(() => t.close());

  it('honours Idempotency-Key: same body 200 with the first job, another body 409, header and body field agree', async () => {
    const headers = { 'idempotency-key': 'order-42' };
    const first = await t.call('POST', '/v1/jobs', {
      body: { type: 'debug.echo', payload: { a: 1 } },
      headers,
    });
    const again = await t.call('POST', '/v1/jobs', {
      body: { payload: { a: 1 }, type: 'debug.echo' },
      headers,
    });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.location).toBe(`/v1/jobs/${first.body.id}`);
    const other = await t.call('POST', '/v1/jobs', {
      body: { type: 'debug.echo', payload: { a: 2 } },
      headers,
    });
    expect(other).toMatchObject({ status: 409, body: { code: 'conflict', title: 'Idempotency key reused' } });
    // The body field is the same key.
    const viaBody = await t.call('POST', '/v1/jobs', {
      body: { type: 'debug.echo', payload: { a: 1 }, idempotencyKey: 'order-42' },
    });
    expect([viaBody.status, viaBody.body.id]).toEqual([200, first.body.id]);
    const disagree = await t.call('POST', '/v1/jobs', {
      body: { type: 'debug.echo', idempotencyKey: 'a' },
      headers: { 'idempotency-key': 'b' },
    });
    expect(disagree.status).toBe(400);
  });

  it('submits a batch of 1,000 in one request, and answers mixed valid and invalid items one by one', async () => {
    const big = await t.call('POST', '/v1/jobs:batch', {
      body: { jobs: Array.from({ length: 1000 }, (_, i) => ({ type: 'debug.echo', payload: { i } })) },
    });
    expect(big.status).toBe(200);
    expect(big.body.items).toHaveLength(1000);
    expect(
      big.body.items.every((it: { ok: boolean; index: number }, i: number) => it.ok && it.index === i),
    ).toBe(true);
    const mixed = await t.call('POST', '/v1/jobs:batch', {
      body: {
        jobs: [
          { type: 'debug.echo' },
          { type: 'debug.echo', priority: 'high' },
          'not an object',
          { type: 'debug.echo', idempotencyKey: 'batch-k' },
          { type: 'debug.echo', idempotencyKey: 'batch-k', payload: { other: true } },
        ],
      },
    });
    expect(mixed.status).toBe(200);
    expect(
      mixed.body.items.map((it: { ok: boolean; error?: { code: string } }) => it.ok || it.error!.code),
    ).toEqual([true, 'validation_failed', 'validation_failed', true, 'conflict']);
    const created = await t.call('GET', `/v1/jobs/${mixed.body.items[0].job.id}`);
    expect(created.status).toBe(200);
    expect((await t.call('POST', '/v1/jobs:batch', { body: { jobs: [] } })).status).toBe(400);
    expect((await t.call('POST', '/v1/jobs:batch', { body: { jobs: [{}], extra: 1 } })).status).toBe(400);
  }, 30_000);

  it('refuses unknown query parameters and filters by label', async () => {
    const unknown = await t.call('GET', '/v1/jobs?colour=blue');
    expect(unknown).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    await t.call('POST', '/v1/jobs', { body: { type: 'debug.echo', labels: { team: 'x', env: 'dev' } } });
    await t.call('POST', '/v1/jobs', { body: { type: 'debug.echo', labels: { team: 'x', env: 'prod' } } });
    const both = await t.call('GET', '/v1/jobs?label=team:x&label=env:prod');
    expect(both.body.items.map((j: { labels: Record<string, string> }) => j.labels)).toEqual([
      { team: 'x', env: 'prod' },
    ]);
    expect((await t.call('GET', '/v1/jobs?label=team:x')).body.items).toHaveLength(2);
  });

  it('rate limits a tenant with 429 and Retry-After (in memory, embedded wiring)', async () => {
    const { key } = await t.keys.create({ tenant: 'slow', name: 'slow', scopes: ['jobs:read'] });
    const statuses: number[] = [];
    let limited: { headers: Record<string, unknown>; body: { code: string } } | undefined;
    for (let i = 0; i < 8; i++) {
      const res = await t.call('GET', '/v1/jobs?limit=1', { key });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(4);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(5);
    expect(limited!.body.code).toBe('rate_limited');
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
