import { execFileSync } from 'node:child_process';
import { JobView, submitJobRequestSchema } from '@jobplane/contracts';
import { Database, JobRegistry } from '@jobplane/persistence';
import { eventually } from '@jobplane/testing';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

/** The conductor on the real stack: priorities, capacity, rate limits, RateLimited pauses, waitReason, retries. */
describe('scheduler conductor (distributed)', () => {
  const ctx = useStack({
    workers: 1,
    workerPools: 'keys:8,fair:4,prio:1,cap1:1,cap2:4,rated:20,limited:4,retry:4',
    env: {
      POOLS:
        'keys:capacity=10,fair:capacity=0,prio:capacity=0,cap1:capacity=1,cap2:capacity=2,rated:capacity=50,rate=10/s,limited:capacity=4,retry:capacity=4',
    },
  });

  const allDone = (ids: string[], timeoutMs = 60_000) =>
    eventually(
      async () =>
        (
          await ctx.pg.query(
            `SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND finished_at IS NOT NULL`,
            [ids],
          )
        ).rows[0].n,
      { until: (n) => n === ids.length, timeoutMs, what: `${ids.length} jobs finished` },
    );

  it('runs 300 jobs on a capacity-1 pool in priority order, FIFO within a priority', async () => {
    // The pool starts at capacity 0 (from POOLS), so nothing runs until all 300 are queued.
    expect((await ctx.api.get('/v1/pools/prio')).body).toMatchObject({ capacity: 0, paused: false });
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const submitted: { id: string; priority: number; order: number }[] = [];
    for (let i = 0; i < 300; i++) {
      const priority = Math.floor(random() * 21);
      const job = await submit(ctx.api, { type: 'debug.echo', pool: 'prio', priority });
      submitted.push({ id: job.id, priority, order: i });
    }
    // Everything is in the backlog (BullMQ keeps prioritized entries in one sorted set) before resuming.
    const last = submitted[submitted.length - 1]!;
    const view = await eventually(async () => (await ctx.api.get<JobView>(`/v1/jobs/${last.id}`)).body, {
      until: (j) => j.waitReason === 'pool_at_capacity',
      what: 'last job waits on the full pool',
    });
    expect(view.position).toBe(submitted.filter((s) => s.priority >= last.priority).length - 1);
    await eventually(() => backlogSize('prio'), {
      until: (n) => n === 300,
      timeoutMs: 20_000,
      what: '300 entries in the backlog',
    });
    expect((await ctx.api.request('PATCH', '/v1/pools/prio', { capacity: 1 })).body).toMatchObject({
      capacity: 1,
      backlog: 300,
    });
    await allDone(submitted.map((s) => s.id));
    const started = await ctx.pg.query(
      `SELECT job_id FROM job_events WHERE job_id = ANY($1) AND type = 'started' ORDER BY recorded_at, seq`,
      [submitted.map((s) => s.id)],
    );
    const actual = started.rows.map((r) => r.job_id);
    const expected = [...submitted]
      .sort((a, b) => b.priority - a.priority || a.order - b.order)
      .map((s) => s.id);
    expect(actual).toEqual(expected);
  });

  it('serves tenants round-robin: 10 jobs of tenant B start before the 100th of tenant A, who queued 5,000 first', async () => {
    // Tenants come from API keys (not built yet), so the jobs go in through the registry the API uses.
    const db = await Database.open({
      kind: 'postgres',
      url: ctx.stack.databaseUrl,
      schema: ctx.stack.schema,
    });
    try {
      const registry = new JobRegistry(db);
      const job = (tenant: string) => ({
        ...submitJobRequestSchema.parse({ type: 'debug.echo' }),
        tenant,
        pool: 'fair',
      });
      const a: string[] = [];
      for (let i = 0; i < 10; i++)
        a.push(
          ...(await registry.submit(Array.from({ length: 500 }, () => job('tenant-a')))).map((r) => r.job.id),
        );
      const b = (await registry.submit(Array.from({ length: 10 }, () => job('tenant-b')))).map(
        (r) => r.job.id,
      );
      await eventually(() => backlogSize('fair', 'tenant-a') + backlogSize('fair', 'tenant-b'), {
        until: (n) => n === 5_010,
        timeoutMs: 60_000,
        what: '5,010 entries in the backlog',
      });
      await ctx.api.request('PATCH', '/v1/pools/fair', { capacity: 4 });
      await allDone(b, 60_000);
      const startsOfA = await ctx.pg.query(
        `SELECT count(*)::int AS n FROM job_events e JOIN jobs j ON j.id = e.job_id
         WHERE j.tenant = 'tenant-a' AND j.pool = 'fair' AND e.type = 'started'
           AND e.recorded_at <= (SELECT max(recorded_at) FROM job_events WHERE job_id = ANY($1) AND type = 'started')`,
        [b],
      );
      console.log(`fairness: tenant B's 10 jobs all started after ${startsOfA.rows[0].n} of tenant A's`);
      expect(startsOfA.rows[0].n).toBeLessThan(100);
      await ctx.api.request('PATCH', '/v1/pools/fair', { capacity: 0 });
      await ctx.pg.query(
        `UPDATE jobs SET state = 'cancelled', finished_at = now() WHERE pool = 'fair' AND state = 'queued'`,
      );
    } finally {
      await db.close();
    }
  });

  it('runs at most the limit of a concurrency key at once, and rate limits a key', async () => {
    const c1 = { key: 'customer-1', limit: 2 };
    const ids = [
      ...(await Promise.all(
        Array.from({ length: 10 }, () =>
          submit(ctx.api, { type: 'sleep', pool: 'keys', payload: { seconds: 0.3 }, concurrency: c1 }),
        ),
      )),
      ...(await Promise.all(
        Array.from({ length: 4 }, () =>
          submit(ctx.api, {
            type: 'sleep',
            pool: 'keys',
            payload: { seconds: 0.3 },
            concurrency: { key: 'customer-2', limit: 2 },
          }),
        ),
      )),
    ].map((j) => j.id);
    const waiting = await eventually(async () => (await ctx.api.get<JobView>(`/v1/jobs/${ids[9]}`)).body, {
      until: (j) => j.waitReason === 'concurrency_key_full' || TERMINAL.includes(j.state),
      what: 'a job waiting for its key',
    });
    expect(waiting.waitReason).toBe('concurrency_key_full');
    let maxKey1 = 0;
    let maxKey2 = 0;
    await eventually(
      async () => {
        const r = await ctx.pg.query(
          `SELECT count(*) FILTER (WHERE state = 'running' AND concurrency_key = 'customer-1')::int AS k1,
                  count(*) FILTER (WHERE state = 'running' AND concurrency_key = 'customer-2')::int AS k2,
                  count(*) FILTER (WHERE finished_at IS NOT NULL)::int AS done
           FROM jobs WHERE id = ANY($1)`,
          [ids],
        );
        maxKey1 = Math.max(maxKey1, r.rows[0].k1);
        maxKey2 = Math.max(maxKey2, r.rows[0].k2);
        return r.rows[0].done;
      },
      { until: (n) => n === ids.length, timeoutMs: 60_000, intervalMs: 10, what: 'keyed jobs done' },
    );
    console.log(`concurrency keys (limit 2): max running customer-1 ${maxKey1}, customer-2 ${maxKey2}`);
    expect(maxKey1).toBe(2);
    expect(maxKey2).toBeLessThanOrEqual(2);
    const rated = (
      await Promise.all(
        Array.from({ length: 5 }, () =>
          submit(ctx.api, {
            type: 'debug.echo',
            pool: 'keys',
            concurrency: { key: 'rk', limit: 10, rate: { max: 5, perMs: 1_000 } },
          }),
        ),
      )
    ).map((j) => j.id);
    await allDone(rated);
    const span = await ctx.pg.query(
      `SELECT extract(epoch from max(occurred_at) - min(occurred_at)) * 1000 AS ms FROM job_events WHERE job_id = ANY($1) AND type = 'dispatched'`,
      [rated],
    );
    expect(Number(span.rows[0].ms)).toBeGreaterThanOrEqual(750);
  });

  it('never runs more than the capacity of a pool at once', async () => {
    const ids = (
      await Promise.all(
        Array.from({ length: 30 }, () =>
          submit(ctx.api, { type: 'sleep', pool: 'cap2', payload: { seconds: 0.2 } }),
        ),
      )
    ).map((j) => j.id);
    let max = 0;
    let samples = 0;
    await eventually(
      async () => {
        const r = await ctx.pg.query(
          `SELECT count(*) FILTER (WHERE state = 'running')::int AS running, count(*) FILTER (WHERE finished_at IS NOT NULL)::int AS done FROM jobs WHERE id = ANY($1)`,
          [ids],
        );
        max = Math.max(max, r.rows[0].running);
        samples++;
        return r.rows[0].done;
      },
      { until: (n) => n === 30, timeoutMs: 60_000, intervalMs: 10, what: '30 capacity jobs done' },
    );
    console.log(`capacity 2: max running ${max} over ${samples} samples`);
    expect(max).toBe(2);
  });

  it('spaces dispatches by the pool rate (10/s: 50 jobs take at least 4.5 s)', async () => {
    const ids = (
      await Promise.all(
        Array.from({ length: 50 }, () => submit(ctx.api, { type: 'debug.echo', pool: 'rated' })),
      )
    ).map((j) => j.id);
    await allDone(ids);
    const r = await ctx.pg.query(
      `SELECT extract(epoch from max(occurred_at) - min(occurred_at)) * 1000 AS span FROM job_events WHERE job_id = ANY($1) AND type = 'dispatched'`,
      [ids],
    );
    console.log(`rate 10/s: 50 dispatches spanned ${Math.round(Number(r.rows[0].span))} ms`);
    expect(Number(r.rows[0].span)).toBeGreaterThanOrEqual(4_500);
  });

  it('pauses a pool for retryAfter when a handler is rate limited, without spending an attempt', async () => {
    const flaky = await submit(ctx.api, {
      type: 'debug.flaky',
      pool: 'limited',
      maxAttempts: 2,
      payload: { failTimes: 1, error: 'rate_limited', retryAfterMs: 2_000 },
    });
    const paused = await eventually(async () => (await ctx.api.get(`/v1/pools/limited`)).body, {
      until: (p) => p.pausedUntil !== null,
      what: 'pool paused',
    });
    const pausedUntil = new Date(paused.pausedUntil).getTime();
    const other = await submit(ctx.api, { type: 'debug.echo', pool: 'limited' });
    const waiting = await ctx.api.get<JobView>(`/v1/jobs/${other.id}`);
    expect(waiting.body.waitReason).toBe('rate_limited');
    const done = await waitForState(ctx.api, flaky.id, TERMINAL, 15_000);
    expect(done).toMatchObject({ state: 'succeeded', attempt: 2, maxAttempts: 3 });
    const otherDone = await waitForState(ctx.api, other.id, TERMINAL, 15_000);
    expect(otherDone.state).toBe('succeeded');
    expect(new Date(otherDone.startedAt!).getTime()).toBeGreaterThanOrEqual(pausedUntil - 50);
  });

  it('explains why queued jobs wait', async () => {
    const later = new Date(Date.now() + 60_000).toISOString();
    const delayed = await submit(ctx.api, { type: 'debug.echo', pool: 'retry', runAt: later });
    expect((await ctx.api.get<JobView>(`/v1/jobs/${delayed.id}`)).body).toMatchObject({
      waitReason: 'delayed_until',
      waitingUntil: later,
    });
    const blocker = await submit(ctx.api, { type: 'sleep', pool: 'cap1', payload: { seconds: 2 } });
    await waitForState(ctx.api, blocker.id, ['running']);
    const queued = await submit(ctx.api, { type: 'debug.echo', pool: 'cap1' });
    const view = await eventually(async () => (await ctx.api.get<JobView>(`/v1/jobs/${queued.id}`)).body, {
      until: (j) => j.waitReason === 'pool_at_capacity',
      what: 'pool_at_capacity',
    });
    expect(view.position).toBe(0);
    expect((await waitForState(ctx.api, queued.id, TERMINAL, 15_000)).state).toBe('succeeded');
    await ctx.api.post(`/v1/jobs/${delayed.id}:cancel`);

    await ctx.api.request('PATCH', '/v1/pools/cap1', { paused: true });
    const paused = await submit(ctx.api, { type: 'debug.echo', pool: 'cap1' });
    expect((await ctx.api.get<JobView>(`/v1/jobs/${paused.id}`)).body.waitReason).toBe('pool_paused');
    await ctx.api.request('PATCH', '/v1/pools/cap1', { paused: false });
    expect((await waitForState(ctx.api, paused.id, TERMINAL, 15_000)).state).toBe('succeeded');

    const flaky = await submit(ctx.api, {
      type: 'debug.flaky',
      pool: 'retry',
      payload: { failTimes: 1 },
      backoff: { type: 'fixed', baseMs: 3_000 },
    });
    const backingOff = await eventually(
      async () => (await ctx.api.get<JobView>(`/v1/jobs/${flaky.id}`)).body,
      {
        until: (j) => j.waitReason === 'retry_backoff',
        what: 'retry_backoff',
      },
    );
    expect(new Date(backingOff.waitingUntil!).getTime()).toBeGreaterThan(Date.now());
    expect(backingOff.error).toMatchObject({ retryable: true });
  });

  it('retries with backoff: fails twice, then succeeds at attempt 3 within the jitter bounds', async () => {
    const job = await submit(ctx.api, {
      type: 'debug.flaky',
      pool: 'retry',
      payload: { failTimes: 2 },
      maxAttempts: 3,
      backoff: { type: 'exponential', baseMs: 300, maxMs: 1_000 },
    });
    const done = await waitForState(ctx.api, job.id, TERMINAL, 20_000);
    expect(done).toMatchObject({ state: 'succeeded', attempt: 3 });
    const events = (await ctx.api.get(`/v1/jobs/${job.id}/events`)).body.items as {
      type: string;
      data: { delayMs?: number };
      occurredAt: string;
    }[];
    expect(events.map((e) => e.type)).toEqual([
      'submitted',
      'dispatched',
      'started',
      'retrying',
      'dispatched',
      'started',
      'retrying',
      'dispatched',
      'started',
      'succeeded',
    ]);
    const retrying = events.filter((e) => e.type === 'retrying');
    expect(retrying[0]!.data.delayMs).toBeLessThan(300);
    expect(retrying[1]!.data.delayMs).toBeLessThan(600);
    const nonRetryable = await submit(ctx.api, { type: 'fail', pool: 'retry', maxAttempts: 5 });
    expect(await waitForState(ctx.api, nonRetryable.id, TERMINAL)).toMatchObject({
      state: 'failed',
      attempt: 1,
    });
  });

  it('fires an every-second schedule once per tick with two schedulers running', async () => {
    await ctx.stack.startScheduler('scheduler-2');
    const bad = await ctx.api.post('/v1/schedules', { cron: '61 * * * *', job: { type: 'debug.echo' } });
    expect(bad.status).toBe(400);
    const created = await ctx.api.post('/v1/schedules', {
      name: 'tick',
      everySeconds: 1,
      job: { type: 'debug.echo', pool: 'retry', payload: { tick: true } },
    });
    expect(created.status).toBe(201);
    expect(created.body.nextRuns).toHaveLength(5);
    const t0 = Date.now();
    const label = created.body.id as string;
    const count = async () =>
      (
        await ctx.pg.query(
          `SELECT count(*)::int AS n, count(DISTINCT idempotency_key)::int AS keys FROM jobs WHERE labels->>'jobplane.dev/schedule' = $1`,
          [label],
        )
      ).rows[0] as { n: number; keys: number };
    await eventually(count, { until: (c) => c.n >= 5, timeoutMs: 15_000, what: '5 ticks' });
    expect((await ctx.api.request('PATCH', `/v1/schedules/${label}`, { paused: true })).body).toMatchObject({
      paused: true,
      nextRuns: [],
    });
    const elapsedS = (Date.now() - t0) / 1000;
    const { n, keys } = await count();
    console.log(`schedule: ${n} jobs in ${elapsedS.toFixed(1)} s with two schedulers`);
    expect(keys).toBe(n);
    expect(Math.abs(n - elapsedS)).toBeLessThanOrEqual(1.5);
    expect((await ctx.api.request('DELETE', `/v1/schedules/${label}`)).status).toBe(204);
    expect((await ctx.api.get(`/v1/schedules/${label}`)).status).toBe(404);
  });

  /** Entries waiting in a (pool, tenant) lane; BullMQ keeps prioritized entries in one sorted set. */
  function backlogSize(pool: string, tenant = 'default'): number {
    const lane = `backlog.${pool}.${Buffer.from(tenant).toString('base64url')}`;
    const out = execFileSync('redis-cli', ['ZCARD', `${stackRedisPrefix()}:${lane}:prioritized`])
      .toString()
      .trim();
    return Number(out);
  }

  /** startStack names the vhost and the Redis prefix after the same id. */
  function stackRedisPrefix(): string {
    return ctx.stack.vhost;
  }
});
