import { ChaosRun, expectationOf } from '../harness';
import { coreViolations, okProbe, sleep, type Scenario } from './common';

/**
 * (5) kill -9 the api mid-submit; a new api comes up (on its own port) and the load moves to it.
 * Submits cut off are `unknown`; each is resolved by its Idempotency-Key: at most one job per key,
 * and every job that was committed is dispatched and ends (none committed and forgotten).
 */
export const killApi: Scenario = {
  name: 'kill-api',
  fast: false,
  async run({ fast, scale, rng }) {
    const n = fast ? 300 : Math.round(3_000 * scale);
    const rate = fast ? 30 : 50;
    const run = await ChaosRun.start('kill-api', { workers: 2, concurrency: 10 });
    try {
      const load = run.load.paced(n, rate, () => okProbe(rng, 50, 300, 30_000, 1));
      await sleep(fast ? 4_000 : 20_000);
      const api = run.stack.processes.find((p) => p.name === 'api')!;
      run.faults.push({ at: Date.now(), kind: 'api-SIGKILL', pids: [api.child.pid!] });
      api.child.kill('SIGKILL');
      const replacement = await run.stack.startApi('api-2');
      run.load.retarget(replacement.url);
      run.healed();
      await load;
      // Resolve each unknown submit the way a client would: the same request, the same key.
      const unknown = run.load.history.filter((s) => s.outcome === 'unknown');
      for (const s of unknown) {
        await run.load.resolve(s, { ...okProbe(rng, 50, 300, 30_000, 1), payload: s.payload });
      }
      const report = await run.settleAndCheck(30_000, (s) => expectationOf(s, 1));
      const violations = coreViolations(report, 0);
      const keys = await run.pg.query(
        `SELECT idempotency_key, count(*)::int AS n FROM "${run.stack.schema}".jobs
         WHERE labels->>'chaos' = $1 GROUP BY 1 HAVING count(*) > 1`,
        [run.runId],
      );
      if (keys.rows.length) violations.push(`${keys.rows.length} keys with more than one job`);
      const replayed = unknown.filter((s) => s.status === 200).length;
      return {
        report,
        details: { n, rate, unknownAtKill: unknown.length, replayedByKey: replayed },
        violations,
      };
    } finally {
      await run.stop();
    }
  },
};
