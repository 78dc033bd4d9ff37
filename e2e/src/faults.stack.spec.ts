import { readFileSync } from 'node:fs';
import type { JobView } from '@jobplane/contracts';
import { eventually, ServiceProcess, stopService } from '@jobplane/testing';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

/**
 * Faults on the real stack: workers and schedulers killed with SIGKILL, time limits, handlers that
 * ignore their signal. Every job must reach exactly one terminal state; repeats are reported.
 */
describe('faults (distributed)', () => {
  const ctx = useStack({
    workers: 2,
    workerPools: 'drain:10,crash:4,limits:4,load:16',
    env: {
      WORKER_HEARTBEAT_MS: '300',
      WORKER_DRAIN_SECONDS: '1',
      WORKER_LOST_AFTER_MS: '2500',
      WATCHDOG_INTERVAL_MS: '250',
      CANCEL_GRACE_MS: '500',
    },
  });

  const proc = (name: string): ServiceProcess => ctx.stack.processes.find((p) => p.name === name)!;

  async function terminalCounts(ids: string[]) {
    const r = await ctx.pg.query(
      `SELECT j.id, j.state, j.attempt,
              (SELECT count(*)::int FROM job_events e WHERE e.job_id = j.id AND e.type IN ('succeeded','failed','timeout','cancelled')) AS terminal,
              (SELECT count(*)::int FROM job_events e WHERE e.job_id = j.id AND e.type = 'started') AS starts
       FROM jobs j WHERE j.id = ANY($1)`,
      [ids],
    );
    return r.rows as { id: string; state: string; attempt: number; terminal: number; starts: number }[];
  }

  async function allTerminal(ids: string[], timeoutMs = 60_000) {
    return eventually(() => terminalCounts(ids), {
      until: (rows) => rows.every((r) => r.terminal > 0),
      timeoutMs,
      intervalMs: 100,
      what: `${ids.length} jobs terminal`,
    });
  }

  it('drains a worker on SIGTERM: exits 0, hands back what did not finish, nothing lost', async () => {
    const ids = (
      await Promise.all(
        Array.from({ length: 20 }, () =>
          submit(ctx.api, { type: 'sleep', pool: 'drain', payload: { seconds: 3 } }),
        ),
      )
    ).map((j) => j.id);
    await eventually(
      async () =>
        (
          await ctx.pg.query(
            `SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND state = 'running' AND worker_id LIKE 'worker-1-%'`,
            [ids],
          )
        ).rows[0].n,
      { until: (n) => n >= 5, what: 'worker-1 running drain jobs' },
    );
    const t0 = Date.now();
    expect(await stopService(proc('worker-1'))).toBe(0);
    const stopMs = Date.now() - t0;
    const rows = await allTerminal(ids);
    const handedBack = rows.filter((r) => r.starts > 1).length;
    console.log(
      `drain: worker-1 exited 0 after ${stopMs} ms; ${handedBack} of 20 jobs handed back and finished elsewhere`,
    );
    expect(rows.every((r) => r.state === 'succeeded' && r.terminal === 1 && r.attempt === 1)).toBe(true);
    expect(handedBack).toBeGreaterThan(0);
    expect(stopMs).toBeLessThan(10_000);
    await ctx.stack.startWorker('worker-1b');
  });

  it('acks a long job early (before the broker delivery timeout) and still recovers it if its worker dies', async () => {
    const early = await ctx.stack.startWorker('worker-early', {
      WORKER_POOLS: 'early:2',
      WORKER_EARLY_ACK_MS: '1000',
    });
    const job = await submit(ctx.api, {
      type: 'sleep',
      pool: 'early',
      payload: { seconds: 10 },
      maxAttempts: 3,
      backoff: { type: 'fixed', baseMs: 10 },
    });
    await waitForState(ctx.api, job.id, ['running']);
    // RabbitMQ's queue statistics lag by seconds, so the worker's own log says when it acked.
    await eventually(() => readFileSync(early.logFile, 'utf8').includes('delivery acknowledged early'), {
      timeoutMs: 10_000,
      what: 'delivery acked while the job runs',
    });
    expect((await ctx.api.get<JobView>(`/v1/jobs/${job.id}`)).body.state).toBe('running');
    early.child.kill('SIGKILL');
    await ctx.stack.startWorker('worker-early-2', { WORKER_POOLS: 'early:2' });
    const done = await waitForState(ctx.api, job.id, TERMINAL, 30_000);
    // No broker redelivery (it was acked): the watchdog recovered it as a new attempt.
    expect(done).toMatchObject({ state: 'succeeded', attempt: 2 });
    const types = (await ctx.api.get(`/v1/jobs/${job.id}/events`)).body.items.map(
      (e: { type: string }) => e.type,
    );
    expect(types).toContain('worker_lost');
  });

  it('times out a job at its hard limit, and honours a soft limit', async () => {
    const hard = await submit(ctx.api, {
      type: 'sleep',
      pool: 'limits',
      payload: { seconds: 30 },
      timeouts: { hardMs: 800 },
    });
    const soft = await submit(ctx.api, {
      type: 'sleep',
      pool: 'limits',
      payload: { seconds: 30 },
      timeouts: { softMs: 500 },
    });
    const hung = await submit(ctx.api, {
      type: 'debug.hang',
      pool: 'limits',
      payload: { seconds: 30 },
      timeouts: { hardMs: 800 },
    });
    const retried = await submit(ctx.api, {
      type: 'sleep',
      pool: 'limits',
      maxAttempts: 2,
      payload: { seconds: 30 },
      timeouts: { hardMs: 500, retryOnTimeout: true },
      backoff: { type: 'fixed', baseMs: 10 },
    });
    for (const [job, attempt] of [
      [hard, 1],
      [soft, 1],
      [hung, 1],
      [retried, 2],
    ] as const) {
      const done = await waitForState(ctx.api, job.id, TERMINAL, 15_000);
      expect(done).toMatchObject({ state: 'timeout', attempt, error: { code: 'timed_out' } });
      expect(new Date(done.finishedAt!).getTime() - new Date(done.createdAt).getTime()).toBeLessThan(
        attempt * 5_000,
      );
    }
  });

  it('loses no job when a worker is killed with SIGKILL mid-job', async () => {
    const ids = (
      await Promise.all(
        Array.from({ length: 12 }, () =>
          submit(ctx.api, { type: 'sleep', pool: 'crash', payload: { seconds: 1.5 } }),
        ),
      )
    ).map((j) => j.id);
    // Wait until worker-0 runs some of them, then kill it.
    await eventually(
      async () =>
        (
          await ctx.pg.query(
            `SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND state = 'running' AND worker_id LIKE 'worker-0-%'`,
            [ids],
          )
        ).rows[0].n,
      {
        until: (n) => n > 0,
        what: 'worker-0 running jobs',
      },
    );
    proc('worker-0').child.kill('SIGKILL');
    const rows = await allTerminal(ids);
    const repeated = rows.filter((r) => r.starts > 1).length;
    console.log(
      `worker SIGKILL: ${ids.length} jobs, ${rows.filter((r) => r.state === 'succeeded').length} succeeded, ${repeated} started more than once`,
    );
    expect(rows.every((r) => r.state === 'succeeded' && r.terminal === 1)).toBe(true);
    expect(repeated).toBeLessThanOrEqual(4); // at most what worker-0 had in flight (prefetch 4)
    await ctx.stack.startWorker('worker-0b');
  });

  it('recovers the job of a lost worker through the watchdog when no other worker can take it', async () => {
    // The worker running it freezes (SIGSTOP): silent, its delivery unacked, so only the watchdog can help.
    const job = await submit(ctx.api, {
      type: 'sleep',
      pool: 'crash',
      payload: { seconds: 2 },
      maxAttempts: 3,
      backoff: { type: 'fixed', baseMs: 10 },
    });
    await waitForState(ctx.api, job.id, ['running']);
    const ownerRow = await ctx.pg.query(`SELECT worker_id FROM jobs WHERE id = $1`, [job.id]);
    const victim = ctx.stack.processes.find((p) => ownerRow.rows[0].worker_id.startsWith(`${p.name}-`))!;
    victim.child.kill('SIGSTOP');
    try {
      const recovered = await eventually(
        async () => (await ctx.api.get<JobView>(`/v1/jobs/${job.id}`)).body,
        {
          until: (j) => j.attempt >= 2 || TERMINAL.includes(j.state),
          timeoutMs: 20_000,
          what: 'watchdog re-dispatched the job',
        },
      );
      expect(recovered.attempt).toBeGreaterThanOrEqual(2);
      const events = (await ctx.api.get(`/v1/jobs/${job.id}/events`)).body.items.map(
        (e: { type: string }) => e.type,
      );
      expect(events).toContain('worker_lost');
    } finally {
      victim.child.kill('SIGKILL');
    }
    const done = await waitForState(ctx.api, job.id, TERMINAL, 30_000);
    expect(done.state).toBe('succeeded');
    const [row] = await terminalCounts([job.id]);
    expect(row!.terminal).toBe(1);
  });

  it('loses and doubles nothing when a scheduler replica is killed under load', async () => {
    await ctx.stack.startScheduler('scheduler-2');
    const ids: string[] = [];
    let killedAt = 0;
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(
        Array.from({ length: 30 }, () => submit(ctx.api, { type: 'debug.echo', pool: 'load' })),
      );
      ids.push(...batch.map((j) => j.id));
      if (round === 4) {
        proc('scheduler').child.kill('SIGKILL');
        killedAt = Date.now();
      }
    }
    const rows = await allTerminal(ids, 90_000);
    console.log(`scheduler SIGKILL: all terminal ${Date.now() - killedAt} ms after the kill`);
    const repeated = rows.filter((r) => r.starts > 1).length;
    console.log(
      `scheduler SIGKILL: ${ids.length} jobs, ${rows.filter((r) => r.state === 'succeeded').length} succeeded, ${repeated} started more than once`,
    );
    expect(rows.every((r) => r.state === 'succeeded' && r.terminal === 1)).toBe(true);
    expect(repeated).toBe(0);
  });
});
