import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, REPO_ROOT, stopService } from '@jobplane/testing';
import { grpcClients } from './grpc-client';
import { submit, TERMINAL, useStack, waitForState } from './jobs';
import { parsePrometheusText, scrape, Scrape, sum } from './prom-text';

const ECHOES = 20;
const FAILS = 3;
/** DEFAULT_POOL_CAPACITY of the stack: every pool's capacity here. */
const CAPACITY = 12;

/** After a known run, each service's /metrics shows the expected counts. */
describe('metrics of the distributed stack', () => {
  const ctx = useStack({
    workers: 1,
    workerPools: 'default:4',
    env: { AUDIT_VERIFY_INTERVAL_SECONDS: '1', DEFAULT_POOL_CAPACITY: String(CAPACITY) },
  });
  const metricsOf = (name: string) => {
    const p = ctx.stack.processes.find((x) => x.name === name);
    if (!p) throw new Error(`no process ${name} in ${ctx.stack.processes.map((x) => x.name).join(', ')}`);
    return scrape(`${new URL(p.healthUrl).origin}/metrics`);
  };
  let api: Scrape;
  let scheduler: Scrape;
  let worker: Scrape;
  let audit: Scrape;
  let auditRows = 0;

  beforeAll(async () => {
    const jobs = await Promise.all([
      ...Array.from({ length: ECHOES }, (_, i) => submit(ctx.api, { type: 'debug.echo', payload: { i } })),
      ...Array.from({ length: FAILS }, () =>
        submit(ctx.api, { type: 'fail', payload: { message: 'boom', code: 'bad_thing' }, maxAttempts: 1 }),
      ),
    ]);
    const done = await Promise.all(jobs.map((j) => waitForState(ctx.api, j.id, TERMINAL, 60_000)));
    // Two gRPC calls: one answered OK, one NOT_FOUND.
    const grpc = grpcClients(ctx.stack.grpcAddress, ctx.stack.adminKey);
    try {
      expect((await grpc.call<{ id: string }>('GetJob', { id: jobs[0]!.id })).id).toBe(jobs[0]!.id);
      await expect(grpc.call('GetJob', { id: '00000000-0000-7000-8000-000000000000' })).rejects.toMatchObject(
        {
          code: 5,
        },
      );
    } finally {
      grpc.close();
    }
    expect(done.filter((j) => j.state === 'succeeded')).toHaveLength(ECHOES);
    expect(done.filter((j) => j.state === 'failed')).toHaveLength(FAILS);
    // Counters move after commit and acks; wait until every service has seen the whole run.
    scheduler = await eventually(() => metricsOf('scheduler'), {
      until: (s) => sum(s, 'jobplane_jobs_finished_total') === ECHOES + FAILS,
      timeoutMs: 20_000,
      what: 'scheduler counted every outcome',
    });
    worker = await eventually(() => metricsOf('worker-0'), {
      until: (s) => sum(s, 'jobplane_worker_attempts_total') === ECHOES + FAILS,
      timeoutMs: 20_000,
      what: 'worker counted every attempt',
    });
    // submitted, dispatched, started and an outcome per job at least; the trail's rows are the truth to match.
    auditRows = await eventually(
      async () => (await ctx.pg.query(`SELECT count(*)::int AS n FROM audit_records`)).rows[0].n as number,
      { until: (n) => n >= 4 * (ECHOES + FAILS), timeoutMs: 20_000, what: 'audit trail holds the run' },
    );
    audit = await eventually(() => metricsOf('audit'), {
      until: (s) =>
        sum(s, 'jobplane_audit_records_total') === auditRows &&
        sum(s, 'jobplane_audit_chain_verified_timestamp_seconds') > 0,
      timeoutMs: 20_000,
      what: 'audit counted the trail and verified the chain',
    });
    // One HTTP error: an unknown job.
    expect((await ctx.api.get('/v1/jobs/00000000-0000-7000-8000-000000000000')).status).toBe(404);
    api = await scrape(`${ctx.stack.apiUrl}/metrics`);
  }, 120_000);

  it('api: submissions, HTTP requests by route template, outbox drained', () => {
    expect(sum(api, 'jobplane_jobs_submitted_total', { type: 'debug.echo', pool: 'default' })).toBe(ECHOES);
    expect(sum(api, 'jobplane_jobs_submitted_total', { type: 'fail', pool: 'default' })).toBe(FAILS);
    const posts = { method: 'POST', route: '/v1/jobs', status: '201' };
    expect(sum(api, 'jobplane_http_requests_total', posts)).toBe(ECHOES + FAILS);
    expect(sum(api, 'jobplane_http_request_duration_seconds_count', posts)).toBe(ECHOES + FAILS);
    // Polling job state used the template, never a raw id.
    expect(
      sum(api, 'jobplane_http_requests_total', { method: 'GET', route: '/v1/jobs/:id' }),
    ).toBeGreaterThan(0);
    const routes = new Set(api.samples.filter((s) => s.labels.route).map((s) => s.labels.route!));
    expect([...routes].filter((r) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(r))).toEqual([]);
    expect(
      sum(api, 'jobplane_http_requests_total', { method: 'GET', route: '/v1/jobs/:id', status: '404' }),
    ).toBe(1);
    expect(sum(api, 'jobplane_outbox_pending')).toBe(0);
    expect(sum(api, 'jobplane_outbox_oldest_age_seconds')).toBe(0);
    expect(sum(api, 'jobplane_grpc_requests_total', { method: 'GetJob', code: 'OK' })).toBe(1);
    expect(sum(api, 'jobplane_grpc_requests_total', { method: 'GetJob', code: 'NOT_FOUND' })).toBe(1);
    expect(sum(api, 'jobplane_grpc_request_duration_seconds_count', { method: 'GetJob' })).toBe(2);
    expect(api.types.get('jobplane_http_request_duration_seconds')).toBe('histogram');
  });

  it('scheduler: outcomes, wait and run time histograms, idle pool and fleet', () => {
    const echo = { type: 'debug.echo', pool: 'default' };
    const fail = { type: 'fail', pool: 'default' };
    expect(sum(scheduler, 'jobplane_jobs_finished_total', { ...echo, outcome: 'succeeded' })).toBe(ECHOES);
    expect(sum(scheduler, 'jobplane_jobs_finished_total', { ...fail, outcome: 'failed' })).toBe(FAILS);
    expect(sum(scheduler, 'jobplane_job_retries_total')).toBe(0);
    expect(sum(scheduler, 'jobplane_job_queue_wait_seconds_count')).toBe(ECHOES + FAILS);
    expect(sum(scheduler, 'jobplane_job_run_seconds_count', { ...echo, outcome: 'succeeded' })).toBe(ECHOES);
    expect(sum(scheduler, 'jobplane_job_run_seconds_count', { ...fail, outcome: 'failed' })).toBe(FAILS);
    // Sub-minute run: every wait falls under the 60 s bucket.
    expect(sum(scheduler, 'jobplane_job_queue_wait_seconds_bucket', { le: '60' })).toBe(ECHOES + FAILS);
    expect(sum(scheduler, 'jobplane_backlog_depth', { pool: 'default' })).toBe(0);
    expect(sum(scheduler, 'jobplane_pool_in_flight', { pool: 'default' })).toBe(0);
    expect(sum(scheduler, 'jobplane_pool_capacity', { pool: 'default' })).toBe(CAPACITY);
    expect(sum(scheduler, 'jobplane_workers_live')).toBe(1);
    expect(sum(scheduler, 'jobplane_workers_slots')).toBe(4);
    expect(sum(scheduler, 'jobplane_workers_heartbeat_max_age_seconds')).toBeLessThan(60);
    expect(sum(scheduler, 'jobplane_workers_offline')).toBe(0);
    expect(sum(scheduler, 'jobplane_workers_busy_slots')).toBe(0);
    expect(sum(scheduler, 'jobplane_outbox_pending')).toBe(0);
    expect(sum(scheduler, 'jobplane_outbox_oldest_age_seconds')).toBe(0);
    expect(sum(scheduler, 'jobplane_rate_limit_pauses_total')).toBe(0);
    // submitted, dispatched, started, succeeded/failed: at least 4 lifecycle messages per job.
    expect(sum(scheduler, 'jobplane_consumer_message_age_seconds_count')).toBeGreaterThanOrEqual(
      3 * (ECHOES + FAILS),
    );
    expect(sum(scheduler, 'jobplane_scheduler_leader')).toBe(1);
  });

  it('worker: attempts by outcome, busy slots back to 0', () => {
    expect(sum(worker, 'jobplane_worker_attempts_total', { type: 'debug.echo', outcome: 'succeeded' })).toBe(
      ECHOES,
    );
    expect(sum(worker, 'jobplane_worker_attempts_total', { type: 'fail', outcome: 'failed' })).toBe(FAILS);
    expect(sum(worker, 'jobplane_worker_busy_slots')).toBe(0);
    expect(sum(worker, 'jobplane_worker_slots', { pool: 'default' })).toBe(4);
  });

  it('audit: records, ingest lag, chain intact', () => {
    const records = sum(audit, 'jobplane_audit_records_total');
    expect(records).toBe(auditRows);
    expect(records).toBeGreaterThanOrEqual(3 * (ECHOES + FAILS));
    expect(sum(audit, 'jobplane_audit_ingest_lag_seconds_count')).toBe(records);
    expect(sum(audit, 'jobplane_audit_chain_intact')).toBe(1);
    expect(sum(audit, 'jobplane_audit_chain_broken_tenants')).toBe(0);
    console.log(
      `metrics after ${ECHOES}+${FAILS} jobs: audit records ${records}, ` +
        `api requests ${sum(api, 'jobplane_http_requests_total')}, ` +
        `scheduler consumer messages ${sum(scheduler, 'jobplane_consumer_message_age_seconds_count')}, ` +
        `wait sum ${sum(scheduler, 'jobplane_job_queue_wait_seconds_sum').toFixed(3)} s, ` +
        `run sum ${sum(scheduler, 'jobplane_job_run_seconds_sum').toFixed(3)} s`,
    );
  });

  it('scheduler: retries, rate-limit pauses and a held backlog by priority, after a second known run', async () => {
    const held = await submit(ctx.api, {
      type: 'debug.echo',
      pool: 'metrics-held',
      priority: 7,
      runAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const flaky = await Promise.all([
      submit(ctx.api, {
        type: 'debug.flaky',
        payload: { failTimes: 1 },
        backoff: { type: 'fixed', baseMs: 0 },
      }),
      submit(ctx.api, {
        type: 'debug.flaky',
        payload: { failTimes: 1, error: 'rate_limited', retryAfterMs: 200 },
      }),
    ]);
    for (const j of flaky)
      expect((await waitForState(ctx.api, j.id, TERMINAL, 30_000)).state).toBe('succeeded');
    const s = await eventually(() => metricsOf('scheduler'), {
      until: (x) =>
        sum(x, 'jobplane_jobs_finished_total') === ECHOES + FAILS + 2 &&
        sum(x, 'jobplane_backlog_oldest_age_seconds', { pool: 'metrics-held' }) >= 1,
      timeoutMs: 20_000,
      what: 'scheduler counted the flaky jobs and aged the held one',
    });
    expect(sum(s, 'jobplane_job_retries_total', { type: 'debug.flaky', reason: 'retrying' })).toBe(1);
    expect(sum(s, 'jobplane_job_retries_total')).toBe(1);
    expect(sum(s, 'jobplane_rate_limit_pauses_total', { pool: 'default' })).toBe(1);
    expect(sum(s, 'jobplane_jobs_finished_total', { type: 'debug.flaky', outcome: 'succeeded' })).toBe(2);
    expect(sum(s, 'jobplane_backlog_depth', { pool: 'metrics-held' })).toBe(1);
    expect(sum(s, 'jobplane_backlog_priority_depth', { pool: 'metrics-held', priority: '7' })).toBe(1);
    expect(
      sum(s, 'jobplane_backlog_priority_oldest_age_seconds', { pool: 'metrics-held', priority: '7' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sum(s, 'jobplane_backlog_depth', { pool: 'default' })).toBe(0);
    expect(sum(s, 'jobplane_pool_capacity', { pool: 'metrics-held' })).toBe(CAPACITY);
    expect(sum(s, 'jobplane_pool_in_flight', { pool: 'metrics-held' })).toBe(0);
    expect((await ctx.api.post(`/v1/jobs/${held.id}:cancel`, {})).status).toBeLessThan(300);
  });

  it('exports exactly the families docs/metrics.md documents (process metrics aside)', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');
    const documented = new Map(
      [...doc.matchAll(/^\|\s*`(jobplane_[a-z0-9_]+)`\s*\|\s*(\w+)\s*\|[^|]*\|([^|]+)\|/gm)].map((m) => [
        m[1]!,
        { type: m[2]!, services: m[3]!.split(',').map((x) => x.trim()) },
      ]),
    );
    const exported = new Map<string, { type: string; services: string[] }>();
    for (const [service, s] of [
      ['api', api],
      ['scheduler', scheduler],
      ['worker', worker],
      ['audit', audit],
    ] as const)
      for (const [name, type] of s.types) {
        if (/^jobplane_(process|nodejs)_/.test(name)) continue;
        const e = exported.get(name) ?? { type, services: [] };
        e.services.push(service);
        exported.set(name, e);
      }
    expect(Object.fromEntries([...exported].sort())).toEqual(Object.fromEntries([...documented].sort()));
  });

  it('a worker that stops cleanly is not counted offline', async () => {
    const w = ctx.stack.processes.find((x) => x.name === 'worker-0')!;
    expect(await stopService(w)).toBe(0);
    // Its last heartbeat (draining, nothing running) takes it out of the offline watch at once.
    const after = await eventually(() => metricsOf('scheduler'), {
      until: (s) => sum(s, 'jobplane_workers_heartbeat_max_age_seconds') === 0,
      timeoutMs: 10_000,
      what: 'stopped worker left the heartbeat watch',
    });
    expect(sum(after, 'jobplane_workers_offline')).toBe(0);
    expect(sum(after, 'jobplane_workers_draining')).toBe(1);
  });

  it('every service labels its samples with its name, process metrics included', () => {
    for (const [service, s] of [
      ['api', api],
      ['scheduler', scheduler],
      ['worker', worker],
      ['audit', audit],
    ] as const) {
      expect(s.samples.every((x) => x.labels.service === service)).toBe(true);
      expect(sum(s, 'jobplane_process_resident_memory_bytes')).toBeGreaterThan(0);
    }
  });
});

describe('Prometheus text parser', () => {
  it('the parser refuses what is not the text format', () => {
    expect(() => parsePrometheusText('jobplane_x{a="1" 2')).toThrow(/not a sample/);
    expect(parsePrometheusText('a{b="q\\"x"} +Inf').samples[0]).toEqual({
      name: 'a',
      labels: { b: 'q"x' },
      value: Infinity,
    });
  });
});
