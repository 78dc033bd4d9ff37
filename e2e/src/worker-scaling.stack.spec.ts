import { eventually, ServiceProcess, stopService } from '@jobplane/testing';
import { submit, useStack } from './jobs';

/**
 * Workers leaving and joining under load, as `kubectl scale` does it: SIGTERM drains a worker
 * (exit 0, unfinished jobs handed back without spending an attempt) and nothing is lost or doubled.
 */
describe('worker drain and scaling (distributed)', () => {
  const ctx = useStack({
    workers: 0,
    env: {
      WORKER_DRAIN_SECONDS: '1',
      WORKER_HEARTBEAT_MS: '500',
      CANCEL_GRACE_MS: '500',
      // 2,000 submits as fast as the api takes them: far above the default per-tenant request rate.
      TENANT_RATE_LIMIT: '*:100000',
    },
  });

  interface Row {
    id: string;
    state: string;
    attempt: number;
    worker_id: string | null;
    terminal: number;
    starts: number;
  }

  async function rows(ids: string[]): Promise<Row[]> {
    const r = await ctx.pg.query(
      `SELECT j.id, j.state, j.attempt, j.worker_id,
              (SELECT count(*)::int FROM job_events e WHERE e.job_id = j.id
                 AND e.type IN ('succeeded','failed','timeout','cancelled')) AS terminal,
              (SELECT count(*)::int FROM job_events e WHERE e.job_id = j.id AND e.type = 'started') AS starts
       FROM jobs j WHERE j.id = ANY($1)`,
      [ids],
    );
    return r.rows as Row[];
  }

  async function countIn(ids: string[], where: string): Promise<number> {
    const r = await ctx.pg.query(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND ${where}`, [
      ids,
    ]);
    return r.rows[0].n as number;
  }

  it('SIGTERM during 20 running sleep jobs: exit 0, unfinished ones handed back and finished on another worker once', async () => {
    const a = await ctx.stack.startWorker('drain-a', { WORKER_POOLS: 'drain:20' });
    const ids = (
      await Promise.all(
        Array.from({ length: 20 }, () =>
          submit(ctx.api, { type: 'sleep', pool: 'drain', payload: { seconds: 8 } }),
        ),
      )
    ).map((j) => j.id);
    await eventually(() => countIn(ids, `state = 'running' AND worker_id LIKE 'drain-a-%'`), {
      until: (n) => n === 20,
      timeoutMs: 30_000,
      what: '20 jobs running on drain-a',
    });
    // SIGTERM at once, and only then start the worker that takes the hand-backs: starting it first
    // took seconds under load, long enough for some 8 s jobs to finish on drain-a.
    const t0 = Date.now();
    expect(await stopService(a)).toBe(0);
    const stopMs = Date.now() - t0;
    const b = await ctx.stack.startWorker('drain-b', { WORKER_POOLS: 'drain:20' });
    const done = await eventually(() => rows(ids), {
      until: (rs) => rs.every((r) => r.terminal > 0),
      timeoutMs: 30_000,
      what: '20 jobs terminal',
    });
    const handedBack = done.filter((r) => r.starts > 1);
    console.log(
      `drain: drain-a exited 0 after ${stopMs} ms (WORKER_DRAIN_SECONDS=1); ${handedBack.length} of 20 handed back and finished on drain-b`,
    );
    expect(stopMs).toBeLessThan(6_000);
    // Every job succeeded once, on its first attempt: a hand-back spends no attempt.
    expect(done.filter((r) => r.state !== 'succeeded' || r.terminal !== 1 || r.attempt !== 1)).toEqual([]);
    // 8 s jobs and a 1 s drain: (nearly) all were unfinished; they ran again on the other worker.
    expect(handedBack.length).toBeGreaterThanOrEqual(15);
    for (const r of handedBack)
      expect(r).toMatchObject({ starts: 2, worker_id: expect.stringMatching(/^drain-b-/) });
    expect(await stopService(b)).toBe(0);
  });

  it('scales 1 -> 4 -> 1 workers during 2,000 jobs: all succeed, each terminal exactly once', async () => {
    const env = { WORKER_POOLS: 'scale:16' };
    const first = await ctx.stack.startWorker('scale-0', env);
    const ids: string[] = [];
    const t0 = Date.now();
    const submitting = (async () => {
      for (let batch = 0; batch < 100; batch++) {
        const jobs = await Promise.all(
          Array.from({ length: 20 }, () =>
            submit(ctx.api, { type: 'sleep', pool: 'scale', payload: { seconds: 0.05 } }),
          ),
        );
        ids.push(...jobs.map((j) => j.id));
      }
    })();
    const succeeded = () => countIn(ids, `state = 'succeeded'`);
    await eventually(succeeded, { until: (n) => n >= 100, timeoutMs: 90_000, what: '100 succeeded' });
    const extra: ServiceProcess[] = [];
    for (let i = 1; i <= 3; i++) extra.push(await ctx.stack.startWorker(`scale-${i}`, env));
    console.log(`scale: 4 workers after ${Date.now() - t0} ms`);
    await eventually(succeeded, { until: (n) => n >= 1_000, timeoutMs: 90_000, what: '1,000 succeeded' });
    const codes = await Promise.all(extra.map((p) => stopService(p)));
    console.log(`scale: back to 1 worker after ${Date.now() - t0} ms (exit codes ${codes.join(', ')})`);
    expect(codes).toEqual([0, 0, 0]);
    await submitting;
    expect(new Set(ids).size).toBe(2_000);
    const done = await eventually(() => rows(ids), {
      until: (rs) => rs.every((r) => r.terminal > 0),
      timeoutMs: 60_000,
      intervalMs: 250,
      what: '2,000 jobs terminal',
    });
    const elapsed = Date.now() - t0;
    const workers = new Set(done.map((r) => r.worker_id?.replace(/-[0-9a-f]{8}$/, '')));
    const handedBack = done.filter((r) => r.starts > 1).length;
    console.log(
      `scale: 2,000 jobs in ${elapsed} ms on ${[...workers].sort().join(', ')}; ${handedBack} handed back by a draining worker`,
    );
    expect(done.filter((r) => r.state !== 'succeeded')).toEqual([]);
    expect(done.filter((r) => r.terminal !== 1)).toEqual([]);
    expect(done.filter((r) => r.attempt !== 1)).toEqual([]);
    expect(workers.size).toBe(4);
    expect(await stopService(first)).toBe(0);
  }, 300_000);
});
