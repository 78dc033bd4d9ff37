import { status } from '@grpc/grpc-js';
import type { JobView } from '@jobplane/contracts';
import { collect, grpcClients, GrpcClients } from './grpc-client';
import { submit, TERMINAL, useStack, waitForState } from './jobs';
import { SseStream, WsClient } from './live';

/**
 * API keys and tenants on every surface (REST, gRPC, SSE, WebSocket) of the distributed stack: no
 * key, a revoked key and the wrong scope are refused; another tenant's job is not found (BOLA).
 */
describe('security across surfaces (distributed)', () => {
  const ctx = useStack({ workers: 1 });
  const keys: Record<'a' | 'b' | 'readerA' | 'revoked', string> = { a: '', b: '', readerA: '', revoked: '' };
  let jobOfA: JobView;
  const grpcAs = (key?: string): GrpcClients => grpcClients(ctx.stack.grpcAddress, key);
  const wsUrl = () => `${ctx.stack.apiUrl.replace('http', 'ws')}/v1/ws`;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  async function createKey(tenant: string, scopes: string[]): Promise<{ id: string; key: string }> {
    const res = await ctx.api.post('/v1/api-keys', { tenant, name: `${tenant} ${scopes.join(' ')}`, scopes });
    expect(res.status).toBe(201);
    return res.body;
  }

  beforeAll(async () => {
    keys.a = (await createKey('tenant-a', ['jobs:read', 'jobs:write'])).key;
    keys.b = (await createKey('tenant-b', ['jobs:read', 'jobs:write'])).key;
    keys.readerA = (await createKey('tenant-a', ['jobs:read'])).key;
    const revoked = await createKey('tenant-a', ['jobs:read', 'jobs:write']);
    expect((await ctx.api.post(`/v1/api-keys/${revoked.id}:revoke`)).status).toBe(200);
    keys.revoked = revoked.key;
    const asA = ctx.api.as(keys.a);
    jobOfA = await submit(asA, { type: 'debug.echo', payload: { secret: 'of tenant a' } });
    await waitForState(asA, jobOfA.id, TERMINAL);
  });

  it('REST: 401 without or with a revoked key, 403 without the scope, 404 for another tenant', async () => {
    const path = `/v1/jobs/${jobOfA.id}`;
    expect((await ctx.api.as(undefined).get(path)).status).toBe(401);
    expect((await ctx.api.as(keys.revoked).get(path)).status).toBe(401);
    expect((await ctx.api.as(keys.readerA).post('/v1/jobs', { type: 'debug.echo' })).status).toBe(403);
    expect((await ctx.api.as(keys.readerA).get(path)).status).toBe(200);
    const b = ctx.api.as(keys.b);
    for (const res of [
      await b.get(path),
      await b.get(`${path}/events`),
      await b.get(`${path}/result`),
      await b.post(`${path}:cancel`),
      await b.post(`${path}:retry`),
    ])
      expect([res.status, res.body.code]).toEqual([404, 'not_found']);
    expect((await b.get('/v1/jobs')).body.items.map((j: JobView) => j.id)).not.toContain(jobOfA.id);
  });

  it('gRPC: UNAUTHENTICATED, PERMISSION_DENIED and NOT_FOUND from the same rules', async () => {
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: { code: number }) => e.code,
      );
    const none = grpcAs(undefined);
    const revoked = grpcAs(keys.revoked);
    const reader = grpcAs(keys.readerA);
    const b = grpcAs(keys.b);
    try {
      expect(await failure(none.call('GetJob', { id: jobOfA.id }))).toBe(status.UNAUTHENTICATED);
      expect(await failure(revoked.call('GetJob', { id: jobOfA.id }))).toBe(status.UNAUTHENTICATED);
      expect(await failure(reader.call('SubmitJob', { type: 'debug.echo' }))).toBe(status.PERMISSION_DENIED);
      expect(await reader.call('GetJob', { id: jobOfA.id })).toMatchObject({ id: jobOfA.id });
      for (const method of ['GetJob', 'CancelJob', 'RetryJob'])
        expect([method, await failure(b.call(method, { id: jobOfA.id }))]).toEqual([
          method,
          status.NOT_FOUND,
        ]);
      expect(await failure(collect(b.watch({ id: jobOfA.id })))).toBe(status.NOT_FOUND);
      const listed = await b.call<{ jobs?: { id: string }[] }>('ListJobs', {});
      expect((listed.jobs ?? []).map((j) => j.id)).not.toContain(jobOfA.id);
    } finally {
      [none, revoked, reader, b].forEach((c) => c.close());
    }
  });

  it('SSE: 401 without or with a revoked key (header or access_token), 404 for another tenant', async () => {
    const url = `${ctx.stack.apiUrl}/v1/jobs/${jobOfA.id}/events`;
    expect((await SseStream.open(url)).status).toBe(401);
    expect((await SseStream.open(url, bearer(keys.revoked))).status).toBe(401);
    expect((await SseStream.open(`${url}?access_token=${keys.revoked}`)).status).toBe(401);
    expect((await SseStream.open(`${ctx.stack.apiUrl}/v1/events`)).status).toBe(401);
    const other = await SseStream.open(url, bearer(keys.b));
    expect([other.status, JSON.parse(other.body).code]).toEqual([404, 'not_found']);
    const own = await SseStream.open(`${url}?access_token=${keys.readerA}`);
    expect(own.status).toBe(200);
    const events = await own.rest();
    expect(events.at(-1)?.event).toBe('succeeded');
  });

  it('WebSocket: refused without a valid key; another tenant cannot watch, cancel or read the job', async () => {
    await expect(WsClient.open(`${wsUrl()}?access_token=${keys.revoked}`)).rejects.toThrow('401');
    const reader = await WsClient.open(wsUrl(), bearer(keys.readerA));
    reader.send({ op: 'run_job', job: { type: 'debug.echo' }, ref: 'r1' });
    expect((await reader.next((f) => f.type === 'error')).error.code).toBe('forbidden');
    reader.close();
    const b = await WsClient.open(wsUrl(), bearer(keys.b));
    b.send({ op: 'reconnect_job', jobId: jobOfA.id, afterSeq: 0 });
    expect((await b.next((f) => f.type === 'error')).error.code).toBe('not_found');
    b.send({ op: 'cancel_job', jobId: jobOfA.id });
    expect((await b.next((f) => f.type === 'error')).error.code).toBe('not_found');
    b.close();
    const own = await WsClient.open(wsUrl(), bearer(keys.a));
    own.send({ op: 'reconnect_job', jobId: jobOfA.id, afterSeq: 0 });
    expect((await own.next((f) => f.type === 'end')).type).toBe('end');
    own.close();
  });

  it('keys never reach the logs, only their public prefix', async () => {
    const { readFileSync } = await import('node:fs');
    const logs = ctx.stack.processes.map((p) => readFileSync(p.logFile, 'utf8')).join('\n');
    for (const key of Object.values(keys)) {
      const secret = key.split('_').slice(2).join('_');
      expect(logs.includes(secret)).toBe(false);
    }
    expect(logs.includes(ctx.stack.adminKey.split('_').slice(2).join('_'))).toBe(false);
  });
});
