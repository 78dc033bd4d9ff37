import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { REPO_ROOT, eventually, stopService } from '@jobplane/testing';
import { submit, TERMINAL, useStack, waitForState } from './jobs';

/** The example custom worker (examples/custom-worker, built on @jobplane/worker-sdk) end to end. */
describe('example custom worker (distributed)', () => {
  const ctx = useStack({ workers: 0, env: { WORKER_HEARTBEAT_MS: '500' } });
  const script = join(REPO_ROOT, 'examples', 'custom-worker', 'dist', 'main.js');

  it('joins its handlers pool, runs an inline and a process handler, refuses bad input', async () => {
    // No WORKER_POOLS: the worker serves the pool its handlers name.
    const worker = await ctx.stack.startWorker('example', {}, script);
    const rows = await eventually(
      async () => (await ctx.pg.query(`SELECT pools FROM workers WHERE id LIKE 'example-%'`)).rows,
      { until: (r) => r.length === 1, what: 'example worker announced' },
    );
    expect(rows[0].pools).toEqual([{ pool: 'examples', concurrency: 8 }]);

    const words = await submit(ctx.api, {
      type: 'example.wordcount',
      pool: 'examples',
      payload: { text: 'the cat and the hat and the bat', top: 2 },
    });
    expect(await waitForState(ctx.api, words.id, TERMINAL)).toMatchObject({
      state: 'succeeded',
      result: { words: 8, top: { the: 3, and: 2 } },
    });

    const sum = await submit(ctx.api, {
      type: 'example.checksum',
      pool: 'examples',
      payload: { megabytes: 64 },
    });
    const done = await waitForState(ctx.api, sum.id, TERMINAL, 60_000);
    const expected = createHash('sha256');
    for (let i = 0; i < 64; i++) expected.update(Buffer.alloc(1 << 20, 'jobplane'));
    expect(done).toMatchObject({
      state: 'succeeded',
      result: { sha256: expected.digest('hex'), megabytes: 64 },
      progress: { percent: 100, step: '64 MB' },
    });
    expect((done.result as { pid: number }).pid).not.toBe(worker.child.pid); // ran in its own process

    const bad = await submit(ctx.api, {
      type: 'example.checksum',
      pool: 'examples',
      payload: { megabytes: 'lots' },
      maxAttempts: 3,
    });
    expect(await waitForState(ctx.api, bad.id, TERMINAL)).toMatchObject({
      state: 'failed',
      attempt: 1,
      error: { code: 'invalid_payload', retryable: false },
    });

    // The custom worker serves only its own types: anything else in its pool fails at once.
    const stranger = await submit(ctx.api, { type: 'sleep', pool: 'examples', payload: { seconds: 0 } });
    expect(await waitForState(ctx.api, stranger.id, TERMINAL)).toMatchObject({
      state: 'failed',
      error: { code: 'unknown_job_type', retryable: false },
    });
    expect(await stopService(worker)).toBe(0);
  });
});
