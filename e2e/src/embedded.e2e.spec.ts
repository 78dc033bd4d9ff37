import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, eventually, ServiceProcess, startService, stopService } from '@jobplane/testing';
import { submit, TERMINAL, waitForState } from './jobs';
import { parsePrometheusText, sum } from './prom-text';

/** Embedded mode (one process, PGlite + in-process bus) over real HTTP. */
describe('embedded mode over HTTP', () => {
  const port = 17000 + Math.floor(Math.random() * 1000);
  const dataDir = mkdtempSync(join(tmpdir(), 'jobplane-e2e-'));
  const url = `http://127.0.0.1:${port}`;
  let api: ApiClient;
  let proc: ServiceProcess;

  const boot = () =>
    startService({
      name: 'embedded',
      app: 'embedded',
      healthPort: port,
      logDir: join(dataDir, 'logs'),
      env: {
        PORT: String(port),
        GRPC_PORT: String(port - 1000),
        DATA_DIR: dataDir,
        WORKER_POOLS: 'default:4',
        LOG_LEVEL: 'warn',
        WORKER_LOST_AFTER_MS: '2000',
        WATCHDOG_INTERVAL_MS: '200',
        WORKER_HEARTBEAT_MS: '200',
      },
    });

  beforeAll(async () => {
    proc = await boot();
    // Embedded mode prints its development key at start; the client uses it from there on.
    const key = await eventually(
      () => Promise.resolve(/JOBPLANE_API_KEY=(jp_\S+)/.exec(readFileSync(proc.logFile, 'utf8'))?.[1]),
      { until: (k) => k !== undefined, timeoutMs: 5_000, what: 'development key printed' },
    );
    api = new ApiClient(url, key);
  });

  it('prints a development key and refuses requests without it', async () => {
    const anonymous = await api.as(undefined).get('/v1/jobs');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('unauthenticated');
    expect((await api.get('/v1/jobs')).status).toBe(200);
    // Only the key's public prefix is logged, never the key.
    expect(readFileSync(proc.logFile, 'utf8').match(new RegExp(api.apiKey!, 'g'))).toHaveLength(1);
  });

  afterAll(async () => {
    if (proc) expect(await stopService(proc)).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a job to succeeded with its result and full event history', async () => {
    const t0 = Date.now();
    const job = await submit(api, { type: 'debug.echo', payload: { hello: 'world' } });
    expect(job).toMatchObject({ state: 'queued', attempt: 0, pool: 'default', priority: 10 });
    const done = await waitForState(api, job.id, TERMINAL);
    const roundTripMs = Date.now() - t0;
    expect(done).toMatchObject({ state: 'succeeded', result: { hello: 'world' }, attempt: 1, error: null });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
    const events = (await api.get(`/v1/jobs/${job.id}/events`)).body.items;
    expect(events.map((e: { type: string }) => e.type)).toEqual([
      'submitted',
      'dispatched',
      'started',
      'succeeded',
    ]);
    expect(events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4]);
    console.log(`embedded submit -> succeeded round trip (incl. 25 ms polling): ${roundTripMs} ms`);
  });

  it('records a failing handler as failed with a structured error', async () => {
    const job = await submit(api, { type: 'fail', payload: { message: 'boom', code: 'bad_thing' } });
    const done = await waitForState(api, job.id, TERMINAL);
    expect(done).toMatchObject({
      state: 'failed',
      attempt: 1,
      error: { code: 'bad_thing', message: 'boom', retryable: false },
    });
  });

  it('retries a retryable failure up to maxAttempts', async () => {
    const job = await submit(api, {
      type: 'fail',
      payload: { retryable: true },
      maxAttempts: 2,
      backoff: { type: 'fixed', baseMs: 10 },
    });
    const done = await waitForState(api, job.id, TERMINAL);
    expect(done).toMatchObject({ state: 'failed', attempt: 2, error: { retryable: true } });
    const types = (await api.get(`/v1/jobs/${job.id}/events`)).body.items.map(
      (e: { type: string }) => e.type,
    );
    expect(types).toEqual([
      'submitted',
      'dispatched',
      'started',
      'retrying',
      'dispatched',
      'started',
      'failed',
    ]);
  });

  it('fails an unknown job type at once, without retries', async () => {
    const job = await submit(api, { type: 'no.such.type' });
    const done = await waitForState(api, job.id, TERMINAL);
    expect(done).toMatchObject({
      state: 'failed',
      attempt: 1,
      error: { code: 'unknown_job_type', retryable: false },
    });
  });

  it('cancels a queued job at once', async () => {
    // No worker serves this pool, so the job stays queued.
    const job = await submit(api, { type: 'debug.echo', pool: 'nobody-serves-this' });
    const res = await api.post(`/v1/jobs/${job.id}:cancel`, { reason: 'changed my mind' });
    expect(res.status).toBe(202);
    expect(res.body.cancelRequested).toBe(true);
    const done = await waitForState(api, job.id, TERMINAL, 5_000);
    expect(done.state).toBe('cancelled');
    expect(done.startedAt).toBeNull();
  });

  it('cancels a running sleep job through the worker', async () => {
    const job = await submit(api, { type: 'sleep', payload: { seconds: 30 } });
    await waitForState(api, job.id, ['running']);
    const t0 = Date.now();
    expect((await api.post(`/v1/jobs/${job.id}:cancel`)).status).toBe(202);
    const done = await waitForState(api, job.id, TERMINAL, 5_000);
    expect(done.state).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(5_000);
    const second = await api.post(`/v1/jobs/${job.id}:cancel`);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('invalid_state');
  });

  it('answers bad input with RFC 9457 problem+json', async () => {
    const bad = await api.post('/v1/jobs', { type: 'debug.echo', priority: 99, surprise: true });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(bad.body).toMatchObject({
      status: 400,
      code: 'validation_failed',
      title: 'Request validation failed',
    });
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['(root)', 'priority']);

    const notJson = await api.post('/v1/jobs', '{"type": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe('validation_failed');

    const huge = await api.post('/v1/jobs', { type: 'debug.echo', payload: { blob: 'x'.repeat(1_100_000) } });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('payload_too_large');

    for (const path of ['/v1/jobs/not-a-uuid', '/v1/jobs/0190a000-0000-7000-8000-000000000000']) {
      const missing = await api.get(path);
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('not_found');
    }
    expect((await api.get('/v1/jobs?limit=100000')).status).toBe(400);
  });

  it('lists with filters and cursor paging', async () => {
    const pool = `list-${Date.now()}`;
    for (let i = 0; i < 5; i++) await submit(api, { type: 'debug.echo', pool });
    const page1 = await api.get(`/v1/jobs?pool=${pool}&limit=2`);
    const page2 = await api.get(`/v1/jobs?pool=${pool}&limit=2&cursor=${page1.body.nextCursor}`);
    const page3 = await api.get(`/v1/jobs?pool=${pool}&limit=2&cursor=${page2.body.nextCursor}`);
    const ids = [...page1.body.items, ...page2.body.items, ...page3.body.items].map(
      (j: { id: string }) => j.id,
    );
    expect(new Set(ids).size).toBe(5);
    expect(page3.body.nextCursor).toBeNull();
    expect(
      (await api.get('/v1/jobs?state=queued&limit=500')).body.items.every(
        (j: { state: string }) => j.state === 'queued',
      ),
    ).toBe(true);
  });

  it('serves health, metrics and the OpenAPI document', async () => {
    expect((await api.get('/health/live')).status).toBe(200);
    const ready = await api.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({ database: { status: 'ok' }, bus: { status: 'ok' } });
    expect((await api.get('/docs/json')).body.paths['/v1/jobs']).toBeDefined();
    const metrics = parsePrometheusText((await api.get('/metrics')).body as string);
    expect(sum(metrics, 'jobplane_process_resident_memory_bytes')).toBeGreaterThan(0);
    // One registry for all four services: the earlier tests' jobs show in each part's families.
    expect(sum(metrics, 'jobplane_jobs_submitted_total')).toBeGreaterThan(0);
    expect(sum(metrics, 'jobplane_jobs_finished_total', { outcome: 'succeeded' })).toBeGreaterThan(0);
    expect(sum(metrics, 'jobplane_worker_attempts_total')).toBeGreaterThan(0);
    expect(
      sum(metrics, 'jobplane_http_requests_total', { method: 'POST', route: '/v1/jobs' }),
    ).toBeGreaterThan(0);
    expect(metrics.types.get('jobplane_audit_chain_intact')).toBe('gauge');
  });

  it('serves the web console without a key (its API calls still need one)', async () => {
    const open = api.as(undefined);
    const index = await open.get<string>('/console/jobs');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(index.body).toContain('jobplane console');
    const script = /src="(\/console\/main-[A-Z0-9]+\.js)"/.exec(index.body)?.[1];
    expect((await open.get(script!)).status).toBe(200);
    expect((await open.get('/v1/jobs')).status).toBe(401);
  });

  it('recovers a job left running by a crash of the whole process', async () => {
    const job = await submit(api, {
      type: 'sleep',
      payload: { seconds: 30 },
      backoff: { type: 'fixed', baseMs: 10 },
    });
    await waitForState(api, job.id, ['running']);
    proc.child.kill('SIGKILL');
    await proc.exited;
    proc = await boot();
    const recovered = await eventually(async () => (await api.get(`/v1/jobs/${job.id}`)).body, {
      until: (j) => j.attempt >= 2 && j.state === 'running',
      timeoutMs: 20_000,
      what: 'job re-run after the crash',
    });
    expect(recovered.attempt).toBe(2);
    const types = (await api.get(`/v1/jobs/${job.id}/events`)).body.items.map(
      (e: { type: string }) => e.type,
    );
    expect(types).toContain('worker_lost');
    await api.post(`/v1/jobs/${job.id}:cancel`);
    expect((await waitForState(api, job.id, TERMINAL)).state).toBe('cancelled');
  });

  it('keeps jobs across a restart (data lives in DATA_DIR)', async () => {
    const job = await submit(api, { type: 'debug.echo', payload: { keep: true } });
    await waitForState(api, job.id, TERMINAL);
    expect(await stopService(proc)).toBe(0);
    proc = await boot();
    const after = await api.get(`/v1/jobs/${job.id}`);
    expect(after.body).toMatchObject({ id: job.id, state: 'succeeded', result: { keep: true } });
  });
});
