import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobView } from '@jobplane/contracts';
import { eventually, REPO_ROOT, ServiceProcess, stopService } from '@jobplane/testing';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

/** A worker built on @jobplane/worker-sdk with test-only handlers (e2e/fixtures/worker). */
const FIXTURE_WORKER = join(REPO_ROOT, 'e2e', 'fixtures', 'worker', 'main.js');

/** JSON lines of a worker log that mention `jobId`. */
function logLinesOf(p: ServiceProcess, jobId: string): Record<string, unknown>[] {
  return readFileSync(p.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes(jobId))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The worker runtime on the real stack: progress throttling, cancellation of inline, thread and
 * process handlers (the last deaf to its signal), a cancel made while no worker was up, and the
 * per-job overhead of each execution mode.
 */
describe('worker runtime (distributed)', () => {
  const ctx = useStack({
    workers: 0,
    env: { CANCEL_GRACE_MS: '500', WORKER_HEARTBEAT_MS: '500', WORKER_DRAIN_SECONDS: '2' },
  });
  let worker: ServiceProcess;

  beforeAll(async () => {
    worker = await ctx.stack.startWorker('fixture', { WORKER_POOLS: 'rt:8' }, FIXTURE_WORKER);
  }, 60_000);

  it('delivers progress in order, throttled, with the latest on the job', async () => {
    // 100 updates 10 ms apart (~1.2 s): the throttle (250 ms) lets through a handful.
    const job = await submit(ctx.api, {
      type: 'test.progress',
      pool: 'rt',
      payload: { steps: 100, everyMs: 10 },
    });
    const done = await waitForState(ctx.api, job.id, TERMINAL);
    expect(done.state).toBe('succeeded');
    expect(done.progress).toEqual({ percent: 100, step: 'done' });
    const { rows } = await ctx.pg.query(
      `SELECT data, occurred_at FROM job_events WHERE job_id = $1 AND type = 'progress' ORDER BY seq`,
      [job.id],
    );
    const percents = rows.map((r: { data: { percent: number } }) => r.data.percent);
    console.log(
      `progress: 101 updates became ${percents.length} events: ${percents.map(Math.round).join(', ')}`,
    );
    expect(percents.length).toBeGreaterThanOrEqual(3);
    expect(percents.length).toBeLessThanOrEqual(12);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect(percents.at(-1)).toBe(100);
    const times = rows.map((r: { occurred_at: Date }) => r.occurred_at.getTime());
    // Throttled: at most one event per interval (250 ms), except the flush before the outcome.
    for (let i = 1; i < times.length - 1; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(200);
  });

  it.each([
    ['inline handler', 'test.wait.inline'],
    ['thread handler', 'test.wait.thread'],
    ['process handler that ignores its signal', 'test.stubborn.process'],
  ])('cancels a running %s within 2 s', async (what, type) => {
    const job = await submit(ctx.api, { type, pool: 'rt' });
    await waitForState(ctx.api, job.id, ['running']);
    // The handler is really under way (the isolate has loaded and logged) before the cancel.
    const started = await eventually(
      () => logLinesOf(worker, job.id).find((l) => l.from === 'handler' && typeof l.pid === 'number'),
      { until: Boolean, timeoutMs: 10_000, what: `${what} handler started` },
    );
    const t0 = Date.now();
    const res = await ctx.api.post<JobView>(`/v1/jobs/${job.id}:cancel`, { reason: 'test' });
    expect(res.status).toBe(202);
    const done = await waitForState(ctx.api, job.id, TERMINAL, 5_000);
    const ms = Date.now() - t0;
    console.log(`cancel (${what}): cancelled after ${ms} ms`);
    expect(done.state).toBe('cancelled');
    expect(ms).toBeLessThan(2_000);
    const pid = started!.pid as number;
    if (type.endsWith('.process')) {
      expect(pid).not.toBe(worker.child.pid);
      await eventually(() => !alive(pid), { timeoutMs: 2_000, what: `isolate ${pid} killed` });
    }
    const terminal = await ctx.pg.query(
      `SELECT count(*)::int AS n FROM job_events WHERE job_id = $1 AND type IN ('succeeded','failed','timeout','cancelled')`,
      [job.id],
    );
    expect(terminal.rows[0].n).toBe(1);
  });

  it('times out a process handler that ignores its signal at the hard limit, killing it', async () => {
    const job = await submit(ctx.api, {
      type: 'test.stubborn.process',
      pool: 'rt',
      timeouts: { hardMs: 1_000 },
    });
    const done = await waitForState(ctx.api, job.id, TERMINAL, 10_000);
    expect(done).toMatchObject({ state: 'timeout', error: { code: 'timed_out' } });
    const pid = logLinesOf(worker, job.id).find((l) => typeof l.pid === 'number')!.pid as number;
    await eventually(() => !alive(pid), { timeoutMs: 2_000, what: `isolate ${pid} killed` });
  });

  it('announces itself: host, pid, version, pools with their concurrency', async () => {
    const { rows } = await ctx.pg.query(`SELECT * FROM workers WHERE id LIKE 'fixture-%'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      pid: worker.child.pid,
      pools: [{ pool: 'rt', concurrency: 8 }],
      draining: false,
    });
    expect(rows[0].host).toBeTruthy();
    expect(rows[0].version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('holds a cancel made while no worker was up: the job never runs to the end', async () => {
    // The pool's queue exists (a worker declared it), but no worker serves it now.
    const declare = await ctx.stack.startWorker('durable-1', { WORKER_POOLS: 'durable:2' }, FIXTURE_WORKER);
    expect(await stopService(declare)).toBe(0);
    const job = await submit(ctx.api, { type: 'sleep', pool: 'durable', payload: { seconds: 3 } });
    // Dispatched (its message waits in the queue), then cancelled while nobody can hear it.
    await eventually(async () => (await ctx.api.get<JobView>(`/v1/jobs/${job.id}`)).body.attempt, {
      until: (a) => a === 1,
      what: 'job dispatched',
    });
    await ctx.api.post(`/v1/jobs/${job.id}:cancel`, {});
    expect((await waitForState(ctx.api, job.id, ['cancelled'])).state).toBe('cancelled');
    const late = await ctx.stack.startWorker('durable-2', { WORKER_POOLS: 'durable:2' }, FIXTURE_WORKER);
    // Either the late worker starts it and is told to stop at once, or (a redelivered message) its
    // attempt claim is refused because the job is over, and it never starts.
    const ended = await eventually(
      () =>
        logLinesOf(late, job.id).find(
          (l) => l.msg === 'attempt finished' || l.msg === 'attempt claim refused; delivery dropped',
        ),
      { until: Boolean, timeoutMs: 10_000, what: 'the late worker ended or refused the attempt' },
    );
    console.log(`durable cancel: the late worker said ${JSON.stringify(ended)}`);
    if (ended!.msg === 'attempt finished') {
      expect(ended!.outcome).toBe('cancelled');
      expect(ended!.ms).toBeLessThan(2_000); // not the 3 s the sleep would take
    } else {
      expect(ended!.reason).toBe('job_finished');
    }
    const view = (await ctx.api.get<JobView>(`/v1/jobs/${job.id}`)).body;
    expect(view.state).toBe('cancelled');
    const types = (
      await ctx.pg.query(`SELECT type FROM job_events WHERE job_id = $1 ORDER BY seq`, [job.id])
    ).rows.map((r: { type: string }) => r.type);
    expect(types.filter((t) => ['succeeded', 'failed', 'cancelled'].includes(t))).toEqual(['cancelled']);
    await stopService(late);
  });

  it('measures per-job worker overhead per execution mode and the idle worker RSS', async () => {
    const rss = (pid: number) =>
      Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
    const idle = await ctx.stack.startWorker('idle', { WORKER_POOLS: 'idle:4' });
    await new Promise((r) => setTimeout(r, 2_000));
    const medians: Record<string, number> = {};
    for (const mode of ['inline', 'thread', 'process']) {
      // One at a time, so each number is one job's cost, not a queue behind it.
      const jobs: JobView[] = [];
      for (let i = 0; i < 11; i++) {
        jobs.push(await submit(ctx.api, { type: `test.noop.${mode}`, pool: 'rt' }));
        await waitForState(ctx.api, jobs.at(-1)!.id, ['succeeded'], 30_000);
      }
      // The worker logs after its ack, which may come just after the scheduler recorded the outcome.
      const lines = await eventually(
        () => jobs.map((j) => logLinesOf(worker, j.id).find((l) => l.msg === 'attempt finished')),
        { until: (ls) => ls.every(Boolean), what: 'attempt finished lines' },
      );
      const ms = lines.map((l) => l!.ms as number).sort((a, b) => a - b);
      medians[mode] = ms[5]!;
      console.log(
        `overhead ${mode}: median ${ms[5]} ms, min ${ms[0]} ms, max ${ms[10]} ms (dispatch received -> outcome confirmed)`,
      );
    }
    console.log(
      `idle RSS: apps/worker ${rss(idle.child.pid!).toFixed(0)} MB, SDK fixture worker ${rss(worker.child.pid!).toFixed(0)} MB`,
    );
    expect(medians.process!).toBeGreaterThan(medians.inline!);
    expect(rss(idle.child.pid!)).toBeLessThan(300);
    expect(await stopService(idle)).toBe(0);
  });
});
