import { uuidv7 } from '@jobplane/contracts';
import { startTestApp, TestApp } from './test-app.spec-helper';

/** Authentication, scopes and tenant isolation (BOLA) on every REST route, on the real module. */
describe('REST auth and tenants', () => {
  let t: TestApp;
  let reader: string;
  let writerA: string;
  let writerB: string;
  let jobOfA: string;

  beforeAll(async () => {
    t = await startTestApp();
    const create = async (tenant: string, scopes: string[]) =>
      (await t.call('POST', '/v1/api-keys', { body: { tenant, name: `${tenant}-${scopes[0]}`, scopes } }))
        .body.key as string;
    reader = await create('acme', ['jobs:read']);
    writerA = await create('acme', ['jobs:read', 'jobs:write']);
    writerB = await create('globex', ['jobs:read', 'jobs:write']);
    const res = await t.call('POST', '/v1/jobs', { body: { type: 'debug.echo' }, key: writerA });
    expect(res.status).toBe(201);
    jobOfA = res.body.id;
  }, 60_000);

  afterAll(() => t.close());

  it('answers 401 problem without a key, with a malformed key, and with an unknown key', async () => {
    for (const key of [null, 'nope', `jp_0123456789abcdef_${'x'.repeat(43)}`]) {
      const res = await t.call('GET', '/v1/jobs', { key });
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['www-authenticate']).toContain('Bearer');
      expect(res.body.code).toBe('unauthenticated');
    }
  });

  it('accepts the key as X-Api-Key too', async () => {
    const res = await t.call('GET', '/v1/jobs', { key: null, headers: { 'x-api-key': writerA } });
    expect(res.status).toBe(200);
  });

  it('refuses a revoked key at once, and an expired key', async () => {
    const created = await t.call('POST', '/v1/api-keys', {
      body: { tenant: 'acme', name: 'short', scopes: ['jobs:read'] },
    });
    expect(created.status).toBe(201);
    expect((await t.call('GET', '/v1/jobs', { key: created.body.key })).status).toBe(200);
    const revoked = await t.call('POST', `/v1/api-keys/${created.body.id}:revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await t.call('GET', '/v1/jobs', { key: created.body.key })).status).toBe(401);

    const expiring = await t.keys.create({
      tenant: 'acme',
      name: 'expiring',
      scopes: ['jobs:read'],
      expiresAt: new Date(Date.now() + 300),
    });
    expect((await t.call('GET', '/v1/jobs', { key: expiring.key })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 400));
    expect((await t.call('GET', '/v1/jobs', { key: expiring.key })).status).toBe(401);
  });

  it('answers 403 when the key lacks the scope', async () => {
    const cases: [string, string, string][] = [
      ['POST', '/v1/jobs', reader],
      ['POST', '/v1/jobs:batch', reader],
      ['POST', `/v1/jobs/${jobOfA}:cancel`, reader],
      ['POST', `/v1/jobs/${jobOfA}:retry`, reader],
      ['POST', '/v1/schedules', reader],
      ['PATCH', '/v1/pools/default', writerA],
      ['GET', '/v1/api-keys', writerA],
      ['POST', '/v1/api-keys', writerA],
    ];
    for (const [method, url, key] of cases) {
      const res = await t.call(method, url, { key, body: {} });
      expect([method, url, res.status, res.body.code]).toEqual([method, url, 403, 'forbidden']);
    }
  });

  it("answers 404 for another tenant's job on every job route (BOLA)", async () => {
    const cases: [string, string][] = [
      ['GET', `/v1/jobs/${jobOfA}`],
      ['GET', `/v1/jobs/${jobOfA}/events`],
      ['POST', `/v1/jobs/${jobOfA}:cancel`],
      ['POST', `/v1/jobs/${jobOfA}:retry`],
    ];
    for (const [method, url] of cases) {
      const res = await t.call(method, url, { key: writerB, ...(method === 'POST' ? { body: {} } : {}) });
      expect([url, res.status, res.body.code]).toEqual([url, 404, 'not_found']);
      // The owner sees it (cancel/retry may be refused for state, never for existence).
      expect(
        (await t.call(method, url, { key: writerA, body: method === 'POST' ? {} : undefined })).status,
      ).not.toBe(404);
    }
    const list = await t.call('GET', '/v1/jobs', { key: writerB });
    expect(list.body.items.map((j: { id: string }) => j.id)).not.toContain(jobOfA);
    const own = await t.call('GET', '/v1/jobs', { key: reader });
    expect(own.body.items.map((j: { id: string }) => j.id)).toContain(jobOfA);
    expect((await t.call('GET', `/v1/jobs/${uuidv7()}`, { key: writerA })).status).toBe(404);
  });

  it('creates keys shown once: the list never carries a secret', async () => {
    const created = await t.call('POST', '/v1/api-keys', {
      body: { tenant: 'initech', name: 'ci', scopes: ['jobs:write'], expiresAt: '2099-01-01T00:00:00Z' },
    });
    expect(created.body.key).toMatch(/^jp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.body.key.startsWith(created.body.prefix)).toBe(true);
    expect(created.headers['cache-control']).toBe('no-store');
    const listed = await t.call('GET', '/v1/api-keys?tenant=initech');
    expect(listed.body.items).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key.split('_').pop());
    expect(listed.body.items[0]).toMatchObject({
      tenant: 'initech',
      scopes: ['jobs:write'],
      revokedAt: null,
    });
    expect(listed.body.items[0].key).toBeUndefined();
  });

  it('refuses bad key requests with 400 and unknown ids with 404', async () => {
    const bad = await t.call('POST', '/v1/api-keys', { body: { tenant: 'x', name: 'n', scopes: ['root'] } });
    expect(bad.status).toBe(400);
    const past = await t.call('POST', '/v1/api-keys', {
      body: { tenant: 'x', name: 'n', scopes: ['admin'], expiresAt: '2001-01-01T00:00:00Z' },
    });
    expect(past.status).toBe(400);
    expect((await t.call('POST', `/v1/api-keys/${uuidv7()}:revoke`)).status).toBe(404);
  });

  it('keeps health and metrics open', async () => {
    expect((await t.call('GET', '/health/live', { key: null })).status).toBe(200);
    expect((await t.call('GET', '/metrics', { key: null })).status).toBe(200);
  });
});
