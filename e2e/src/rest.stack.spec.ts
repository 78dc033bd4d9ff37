import type { JobView } from '@jobplane/contracts';
import { ApiClient } from '@jobplane/testing';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

/** REST surface on the distributed stack: retry through the scheduler, shared rate limits, caps, timings. */
describe('REST on the distributed stack', () => {
  const ctx = useStack({
    workers: 1,
    env: {
      TENANT_RATE_LIMIT: '*:100000,limited:1',
      RATE_LIMIT_BURST_SECONDS: '10',
      TENANT_MAX_QUEUED: 'capped:3',
    },
  });
  const keyFor = async (tenant: string) => {
    const res = await ctx.api.post('/v1/api-keys', {
      tenant,
      name: tenant,
      scopes: ['jobs:read', 'jobs:write'],
    });
    expect(res.status).toBe(201);
    return res.body.key as string;
  };

  it('retries a failed job as a new attempt that succeeds; refuses to retry a succeeded or running job', async () => {
    const job = await submit(ctx.api, { type: 'debug.flaky', payload: { failTimes: 1 }, maxAttempts: 1 });
    const failed = await waitForState(ctx.api, job.id, TERMINAL);
    expect(failed).toMatchObject({ state: 'failed', attempt: 1 });

    const retried = await ctx.api.post(`/v1/jobs/${job.id}:retry`, { reason: 'try again' });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ state: 'queued', attempt: 1, maxAttempts: 2, finishedAt: null });
    const done = await waitForState(ctx.api, job.id, TERMINAL);
    expect(done).toMatchObject({ state: 'succeeded', attempt: 2, result: { attempt: 2 } });
    const events = (await ctx.api.get(`/v1/jobs/${job.id}/events`)).body.items as {
      type: string;
      seq: number;
    }[];
    expect(events.map((e) => e.type)).toEqual([
      'submitted',
      'dispatched',
      'started',
      'failed',
      'retry_requested',
      'dispatched',
      'started',
      'succeeded',
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    const again = await ctx.api.post(`/v1/jobs/${job.id}:retry`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');

    const sleeper = await submit(ctx.api, { type: 'sleep', payload: { seconds: 30 } });
    await waitForState(ctx.api, sleeper.id, ['running']);
    const running = await ctx.api.post(`/v1/jobs/${sleeper.id}:retry`);
    expect([running.status, running.body.code]).toEqual([409, 'invalid_state']);
    expect((await ctx.api.post(`/v1/jobs/${sleeper.id}:cancel`)).status).toBe(202);
    expect((await waitForState(ctx.api, sleeper.id, TERMINAL)).state).toBe('cancelled');

    // A cancelled job can be retried too, and runs.
    const retriedCancelled = await ctx.api.post(`/v1/jobs/${sleeper.id}:retry`);
    expect(retriedCancelled.status).toBe(202);
    await waitForState(ctx.api, sleeper.id, ['running']);
    expect((await ctx.api.post(`/v1/jobs/${sleeper.id}:cancel`)).status).toBe(202);
  }, 60_000);

  it('shares a tenant rate limit between two api replicas through Redis (429 with Retry-After)', async () => {
    const second = await ctx.stack.startApi('api-2');
    const key = await keyFor('limited');
    const replicas = [new ApiClient(ctx.stack.apiUrl, key), new ApiClient(second.url, key)];
    const answers: { replica: number; status: number; retryAfter: string | null; code?: string }[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await replicas[i % 2]!.get('/v1/jobs?limit=1');
      answers.push({
        replica: i % 2,
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        code: res.body?.code,
      });
    }
    const allowed = answers.filter((a) => a.status === 200).length;
    // One bucket of 10 (1/s × 10 s) shared by both; per-replica buckets would have allowed 20.
    expect(allowed).toBeGreaterThanOrEqual(10);
    expect(allowed).toBeLessThanOrEqual(13);
    const limited = answers.filter((a) => a.status === 429);
    expect(new Set(limited.map((a) => a.replica))).toEqual(new Set([0, 1]));
    for (const a of limited) {
      expect(a.code).toBe('rate_limited');
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // Other tenants are not affected.
    expect((await ctx.api.get('/v1/jobs?limit=1')).status).toBe(200);
  }, 90_000);

  it('caps queued jobs per tenant (TENANT_MAX_QUEUED) with a clear 429', async () => {
    const capped = new ApiClient(ctx.stack.apiUrl, await keyFor('capped'));
    for (let i = 0; i < 3; i++) await submit(capped, { type: 'debug.echo', pool: 'nobody-serves-this' });
    const over = await capped.post('/v1/jobs', { type: 'debug.echo', pool: 'nobody-serves-this' });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ code: 'rate_limited', title: 'Too many queued jobs' });
    expect(over.body.detail).toContain('cap of 3');
    const batch = await capped.post('/v1/jobs:batch', { jobs: [{ type: 'debug.echo' }] });
    expect(batch.status).toBe(429);
  });

  it('answers a repeated Idempotency-Key with the first job, and another body with 409', async () => {
    const headers = { 'idempotency-key': `stack-${Date.now()}` };
    const first = await ctx.api.post('/v1/jobs', { type: 'debug.echo', payload: { n: 1 } }, headers);
    const second = await ctx.api.post('/v1/jobs', { type: 'debug.echo', payload: { n: 1 } }, headers);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body.id).toBe(first.body.id);
    const other = await ctx.api.post('/v1/jobs', { type: 'debug.echo', payload: { n: 2 } }, headers);
    expect([other.status, other.body.code]).toEqual([409, 'conflict']);
  });

  it('measures submit latency (single, over HTTP) and batch throughput', async () => {
    const pool = 'perf-nobody';
    for (let i = 0; i < 20; i++) await submit(ctx.api, { type: 'debug.echo', pool }); // warm-up
    const ms: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      await submit(ctx.api, { type: 'debug.echo', pool, payload: { i } });
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    const p = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!.toFixed(1);
    const batches = 5;
    const t0 = performance.now();
    for (let b = 0; b < batches; b++) {
      const res = await ctx.api.post('/v1/jobs:batch', {
        jobs: Array.from({ length: 1000 }, (_, i) => ({ type: 'debug.echo', pool, payload: { b, i } })),
      });
      expect(res.status).toBe(200);
      expect(
        res.body.items.filter((it: { ok: boolean; job?: JobView }) => it.ok && it.job?.state === 'queued'),
      ).toHaveLength(1000);
    }
    const perSecond = Math.round((batches * 1000) / ((performance.now() - t0) / 1000));
    console.log(
      `REST submit latency over HTTP: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms (n=500); batch: ${perSecond} jobs/s`,
    );
    expect(Number(p(0.5))).toBeLessThan(100);
  }, 120_000);
});
