import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanRecord } from '@jobplane/telemetry';
import type { JobView } from '@jobplane/contracts';
import { eventually } from '@jobplane/testing';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

const dir = mkdtempSync(join(tmpdir(), 'jobplane-traces-'));
// One file for every process: the file exporter appends each span synchronously as one line.
const traceFile = join(dir, 'spans.jsonl');

function readSpans(): SpanRecord[] {
  let text = '';
  try {
    text = readFileSync(traceFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SpanRecord);
}

const byStart = (a: SpanRecord, b: SpanRecord) => a.startUs - b.startUs;

/** The span's ancestors, nearest first, within the given spans. */
function ancestors(span: SpanRecord, all: SpanRecord[]): SpanRecord[] {
  const byId = new Map(all.map((s) => [s.spanId, s]));
  const chain: SpanRecord[] = [];
  for (let p = span.parentSpanId; p; p = byId.get(p)?.parentSpanId ?? null) {
    const parent = byId.get(p);
    if (!parent) break;
    chain.push(parent);
  }
  return chain;
}

/** Indented names (service, duration), children by start time: the trace as one reads it. */
function traceTree(spans: SpanRecord[]): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = (parent: string | null) =>
    spans
      .filter((s) =>
        parent === null ? !s.parentSpanId || !ids.has(s.parentSpanId) : s.parentSpanId === parent,
      )
      .sort((a, b) => a.startUs - b.startUs);
  const lines: string[] = [];
  const walk = (s: SpanRecord, depth: number) => {
    lines.push(`${'  '.repeat(depth)}${s.name}  [${s.service}] ${(s.durationUs / 1000).toFixed(1)} ms`);
    children(s.spanId).forEach((c) => walk(c, depth + 1));
  };
  children(null).forEach((root) => walk(root, 0));
  return lines.join('\n');
}

/** Tracing on (file exporter) across the distributed stack: one job is one trace, end to end. */
describe('tracing across the distributed stack', () => {
  // Two workers, fast heartbeats: the watchdog recovers a frozen worker's job only while it hears another.
  const ctx = useStack({
    workers: 2,
    workerPools: 'default:4',
    env: {
      JOBPLANE_TRACE_FILE: traceFile,
      WORKER_HEARTBEAT_MS: '300',
      WORKER_LOST_AFTER_MS: '2500',
      WATCHDOG_INTERVAL_MS: '250',
    },
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The spans of the job's trace, once all the wanted names (with repeats) are there. */
  const spansOfJob = (jobId: string, wanted: string[]) =>
    // The worker ends its attempt span after the outcome is confirmed: wait for the last lines.
    eventually(
      async () => {
        const all = readSpans();
        const dispatch = all.find(
          (s) => s.name === 'scheduler.dispatch' && s.attributes['jobplane.job.id'] === jobId,
        );
        return dispatch ? all.filter((s) => s.traceId === dispatch.traceId) : [];
      },
      {
        until: (found) =>
          wanted.every(
            (name) => found.filter((s) => s.name === name).length >= wanted.filter((w) => w === name).length,
          ),
        timeoutMs: 10_000,
        what: `the spans of job ${jobId}`,
      },
    );

  it('joins api, scheduler and worker spans of one job into one trace, in parent order', async () => {
    const job = await submit(ctx.api, { type: 'debug.echo', payload: { traced: true } });
    await waitForState(ctx.api, job.id, ['succeeded']);

    const wanted = [
      'jobs.submit',
      'scheduler.apply job.submitted',
      'scheduler.dispatch',
      'worker.attempt',
      'handler debug.echo',
      'scheduler.apply job.succeeded',
    ];
    const spans = await spansOfJob(job.id, wanted);
    console.log(`trace ${spans[0]!.traceId} of job ${job.id}:\n${traceTree(spans)}`);

    const one = (name: string) => {
      const matching = spans.filter((s) => s.name === name);
      expect(matching).toHaveLength(1);
      return matching[0]!;
    };
    const submitSpan = one('jobs.submit');
    expect(submitSpan).toMatchObject({ service: 'jobplane-api', parentSpanId: null });
    expect(submitSpan.attributes).toMatchObject({
      'jobplane.tenant': 'default',
      'jobplane.job.type': 'debug.echo',
      'jobplane.job.pool': 'default',
    });
    expect(new Set(spans.map((s) => s.service))).toEqual(
      new Set(['jobplane-api', 'jobplane-scheduler', 'jobplane-worker']),
    );

    // Each step descends from the submit request, through the steps before it.
    const chain = (name: string) => ancestors(one(name), spans).map((s) => s.name);
    expect(chain('scheduler.apply job.submitted')).toEqual(['jobs.submit']);
    expect(chain('scheduler.dispatch')).toEqual(['jobs.submit']);
    expect(chain('worker.attempt')).toEqual(['scheduler.dispatch', 'jobs.submit']);
    expect(chain('handler debug.echo')).toEqual(['worker.attempt', 'scheduler.dispatch', 'jobs.submit']);
    expect(chain('scheduler.apply job.succeeded')).toEqual([
      'worker.attempt',
      'scheduler.dispatch',
      'jobs.submit',
    ]);

    const expectedJob = {
      'jobplane.job.id': job.id,
      'jobplane.job.type': 'debug.echo',
      'jobplane.job.pool': 'default',
      'jobplane.job.attempt': 1,
    };
    expect(one('handler debug.echo')).toMatchObject({ service: 'jobplane-worker', attributes: expectedJob });
    expect(one('worker.attempt')).toMatchObject({
      kind: 4, // CONSUMER
      status: 0, // unset: the attempt succeeded
      attributes: { ...expectedJob, 'jobplane.outcome': 'succeeded' },
    });
    expect(one('scheduler.dispatch')).toMatchObject({
      service: 'jobplane-scheduler',
      attributes: expectedJob,
    });

    // The job row keeps the submit request's context for later steps (dispatches, retries).
    const row = await ctx.pg.query(`SELECT trace_context FROM jobs WHERE id = $1`, [job.id]);
    expect((row.rows[0] as { trace_context: { traceparent: string } }).trace_context.traceparent).toBe(
      `00-${submitSpan.traceId}-${submitSpan.spanId}-01`,
    );
  });

  it('keeps every attempt of a retried job in its trace, failed attempts marked as errors', async () => {
    const job = await submit(ctx.api, {
      type: 'fail',
      maxAttempts: 2,
      backoff: { type: 'fixed', baseMs: 0 },
      payload: { retryable: true, message: 'traced failure' },
    });
    await waitForState(ctx.api, job.id, ['failed']);
    const spans = await spansOfJob(job.id, [
      'jobs.submit',
      ...['scheduler.dispatch', 'worker.attempt', 'handler fail', 'scheduler.apply job.failed'].flatMap(
        (n) => [n, n],
      ),
    ]);
    console.log(`trace ${spans[0]!.traceId} of retried job ${job.id}:\n${traceTree(spans)}`);

    const submitSpan = spans.find((s) => s.name === 'jobs.submit')!;
    // The retry is dispatched from the backlog, parented by the context stored on the job.
    const dispatches = spans.filter((s) => s.name === 'scheduler.dispatch').sort(byStart);
    expect(dispatches.map((d) => [d.attributes['jobplane.job.attempt'], d.parentSpanId])).toEqual([
      [1, submitSpan.spanId],
      [2, submitSpan.spanId],
    ]);
    const attempts = spans.filter((s) => s.name === 'worker.attempt').sort(byStart);
    expect(attempts.map((a) => [a.attributes['jobplane.job.attempt'], a.status])).toEqual([
      [1, 2], // ERROR
      [2, 2],
    ]);
    const handlers = spans.filter((s) => s.name === 'handler fail').sort(byStart);
    expect(handlers.map((h) => h.status)).toEqual([2, 2]);
    for (const h of handlers)
      expect(ancestors(h, spans).map((s) => s.name)).toEqual([
        'worker.attempt',
        'scheduler.dispatch',
        'jobs.submit',
      ]);
  });
  /** Every span of the trace holding the named span, once `until` holds for them. */
  const traceOf = (root: (s: SpanRecord) => boolean, until: (spans: SpanRecord[]) => boolean, what: string) =>
    eventually(
      async () => {
        const all = readSpans();
        const r = all.find(root);
        return r ? all.filter((s) => s.traceId === r.traceId) : [];
      },
      { until: (spans) => spans.length > 0 && until(spans), timeoutMs: 20_000, what },
    );

  it('roots the jobs a schedule fires in a scheduler.schedule_fire span, attempts included', async () => {
    const created = await ctx.api.post('/v1/schedules', {
      name: 'traced-tick',
      everySeconds: 1,
      job: { type: 'debug.echo', payload: { traced: true } },
    });
    expect(created.status).toBe(201);
    const scheduleId = created.body.id as string;
    try {
      const spans = await traceOf(
        (s) => s.name === 'scheduler.schedule_fire' && s.attributes['jobplane.schedule.id'] === scheduleId,
        (found) => found.some((s) => s.name === 'scheduler.apply job.succeeded'),
        `a traced run of schedule ${scheduleId}`,
      );
      const fire = spans.find((s) => s.name === 'scheduler.schedule_fire')!;
      console.log(`trace ${fire.traceId} of schedule ${scheduleId}:\n${traceTree(spans)}`);
      expect(fire).toMatchObject({ service: 'jobplane-scheduler', parentSpanId: null });
      const jobId = fire.attributes['jobplane.job.id'];
      const job = (await ctx.api.get<JobView>(`/v1/jobs/${String(jobId)}`)).body;
      expect(job.labels).toMatchObject({ 'jobplane.dev/schedule': scheduleId });
      const one = (name: string) => spans.find((s) => s.name === name)!;
      expect(one('scheduler.dispatch').attributes['jobplane.job.id']).toBe(jobId);
      expect(ancestors(one('handler debug.echo'), spans).map((s) => s.name)).toEqual([
        'worker.attempt',
        'scheduler.dispatch',
        'scheduler.schedule_fire',
      ]);
    } finally {
      await ctx.api.request('DELETE', `/v1/schedules/${scheduleId}`);
    }
  });

  it('traces a retry the watchdog starts under a scheduler.watchdog root span', async () => {
    const job = await submit(ctx.api, {
      type: 'sleep',
      payload: { seconds: 1 },
      maxAttempts: 2,
      backoff: { type: 'fixed', baseMs: 10 },
    });
    await waitForState(ctx.api, job.id, ['running']);
    // As if submitted while tracing was off: no stored context, so the watchdog's span is the root.
    await ctx.pg.query(`UPDATE jobs SET trace_context = NULL WHERE id = $1`, [job.id]);
    const owner = (await ctx.pg.query(`SELECT worker_id FROM jobs WHERE id = $1`, [job.id])).rows[0]
      .worker_id as string;
    const victim = ctx.stack.processes.find((p) => owner.startsWith(`${p.name}-`))!;
    victim.child.kill('SIGSTOP');
    try {
      const spans = await traceOf(
        (s) => s.name === 'scheduler.watchdog' && s.attributes['jobplane.job.id'] === job.id,
        (found) => found.some((s) => s.name === 'scheduler.apply job.succeeded'),
        `the watchdog's trace of job ${job.id}`,
      );
      const watchdog = spans.find((s) => s.name === 'scheduler.watchdog')!;
      console.log(`trace ${watchdog.traceId} of recovered job ${job.id}:\n${traceTree(spans)}`);
      expect(watchdog).toMatchObject({ service: 'jobplane-scheduler', parentSpanId: null });
      expect(watchdog.attributes).toMatchObject({
        'jobplane.watchdog.reason': 'worker_lost',
        'jobplane.job.attempt': 1,
      });
      const attempt = spans.find((s) => s.name === 'worker.attempt')!;
      expect(attempt.attributes['jobplane.job.attempt']).toBe(2);
      expect(ancestors(attempt, spans).map((s) => s.name)).toEqual([
        'scheduler.dispatch',
        'scheduler.watchdog',
      ]);
    } finally {
      victim.child.kill('SIGKILL');
    }
    expect((await waitForState(ctx.api, job.id, TERMINAL, 30_000)).state).toBe('succeeded');
  });
});
