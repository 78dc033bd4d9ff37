import { join } from 'node:path';
import type { HandlerView, JobEventView, WorkerView } from '@jobplane/contracts';
import { ApiClient, eventually, REPO_ROOT, ServiceProcess, stopService } from '@jobplane/testing';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

/** A worker whose handlers declare a pool, a retry policy and limits (e2e/fixtures/registry-worker). */
const REGISTRY_WORKER = join(REPO_ROOT, 'e2e', 'fixtures', 'registry-worker', 'main.js');
const TYPES = ['test.registry.dated', 'test.registry.flaky', 'test.registry.introspect'];

const workersOf = async (api: ApiClient) =>
  (await api.get<{ items: WorkerView[] }>('/v1/workers')).body.items;
const handlersOf = async (api: ApiClient) =>
  (await api.get<{ items: HandlerView[] }>('/v1/handlers')).body.items;

describe('handler registry (distributed)', () => {
  const ctx = useStack({
    workers: 0,
    env: { WORKER_HEARTBEAT_MS: '300', WORKER_LOST_AFTER_MS: '2000', TENANT_RATE_LIMIT: '*:1000' },
  });

  let worker: ServiceProcess;

  it('lists workers and the handlers they declare', async () => {
    worker = await ctx.stack.startWorker('registry', {}, REGISTRY_WORKER);
    const [online] = await eventually(() => workersOf(ctx.api), {
      until: (ws) => ws.length === 1,
      what: 'the worker listed',
    });
    expect(online).toMatchObject({
      id: expect.stringMatching(/^registry-/),
      pid: worker.child.pid,
      state: 'online',
      pools: [{ pool: 'registry-x', concurrency: expect.any(Number), busy: 0 }],
      handlers: TYPES,
    });
    expect(Date.parse(online!.lastHeartbeatAt)).toBeGreaterThanOrEqual(Date.parse(online!.startedAt));

    const handlers = await handlersOf(ctx.api);
    expect(handlers.map((h) => h.type)).toEqual(TYPES);
    expect(handlers.find((h) => h.type === 'test.registry.flaky')).toMatchObject({
      pool: 'registry-x',
      execution: 'inline',
      timeouts: { hardMs: 30_000 },
      retry: { maxAttempts: 2, backoff: { type: 'fixed', baseMs: 100 } },
      payloadSchema: { type: 'object', properties: { note: { type: 'string', maxLength: 100 } } },
      workers: 1,
    });
    expect(handlers.find((h) => h.type === 'test.registry.dated')).toMatchObject({
      payloadSchema: null,
      workers: 1,
    });
    expect((await new ApiClient(ctx.stack.apiUrl, 'jp_nope_nope').get('/v1/handlers')).status).toBe(401);
  });

  it("gives a submit that leaves them out its handler's declared pool, retry policy and limits", async () => {
    const job = await submit(ctx.api, { type: 'test.registry.flaky', payload: {} });
    expect(job).toMatchObject({ pool: 'registry-x', maxAttempts: 2 });
    const failed = await waitForState(ctx.api, job.id, TERMINAL);
    expect(failed).toMatchObject({ state: 'failed', attempt: 2, error: { code: 'flaky', retryable: true } });
    const events = (await ctx.api.get<{ items: JobEventView[] }>(`/v1/jobs/${job.id}/events`)).body.items;
    expect(events.filter((e) => e.type === 'started')).toHaveLength(2);
    const [row] = (await ctx.pg.query(`SELECT timeouts, backoff FROM jobs WHERE id = $1`, [job.id])).rows;
    expect(row).toEqual({ timeouts: { hardMs: 30_000 }, backoff: { type: 'fixed', baseMs: 100 } });

    // What the submitter sets wins; a type nobody declared keeps the fixed defaults.
    const once = await submit(ctx.api, {
      type: 'test.registry.flaky',
      maxAttempts: 1,
      timeouts: { softMs: 5_000 },
    });
    expect(once).toMatchObject({ pool: 'registry-x', maxAttempts: 1 });
    expect((await waitForState(ctx.api, once.id, TERMINAL)).attempt).toBe(1);
    const [merged] = (await ctx.pg.query(`SELECT timeouts FROM jobs WHERE id = $1`, [once.id])).rows;
    expect(merged.timeouts).toEqual({ softMs: 5_000, hardMs: 30_000 });
    expect(await submit(ctx.api, { type: 'nobody.declared' })).toMatchObject({
      pool: 'default',
      maxAttempts: 3,
    });
  });

  it('hands the job labels to the handler', async () => {
    const job = await submit(ctx.api, {
      type: 'test.registry.introspect',
      labels: { team: 'search', env: 'ci' },
    });
    expect(await waitForState(ctx.api, job.id, TERMINAL)).toMatchObject({
      state: 'succeeded',
      result: { labels: { team: 'search', env: 'ci' }, pool: 'registry-x', maxAttempts: 3 },
    });
  });

  it('lists a stopped worker as offline and keeps the declarations', async () => {
    const [online] = await workersOf(ctx.api);
    expect(await stopService(worker)).toBe(0);
    const [gone] = await eventually(() => workersOf(ctx.api), {
      until: (ws) => ws[0]?.state === 'offline',
      what: 'the stopped worker listed offline',
    });
    expect(gone!.id).toBe(online!.id);
    // The declarations stay (their defaults still apply), served by nobody now.
    expect((await handlersOf(ctx.api)).map((h) => h.workers)).toEqual([0, 0, 0]);
  });
});
