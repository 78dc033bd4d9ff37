import { ChaosRun, expectationOf, FAST_LIVENESS } from '../harness';
import { coreViolations, okProbe, sleep, type Scenario } from './common';

/**
 * (10) SIGSTOP a worker past the heartbeat timeout, then SIGCONT. Its jobs go to another worker
 * as a new attempt; whatever the paused worker reports afterwards is fenced out (the checker's
 * attempt fence would flag an outcome of the old attempt), and each job ends once.
 */
export const pause: Scenario = {
  name: 'pause',
  fast: true,
  async run({ fast, scale, rng }) {
    const n = fast ? 60 : Math.round(400 * scale);
    const lostAfterMs = Number(FAST_LIVENESS.WORKER_LOST_AFTER_MS);
    const run = await ChaosRun.start('pause', { workers: 2, concurrency: 5, env: FAST_LIVENESS });
    try {
      const load = run.load.paced(n, 5, () => okProbe(rng, 2_000, 3_000, 60_000));
      await sleep(4_000);
      const fault = run.signal(['worker-0'], 'SIGSTOP');
      await sleep(lostAfterMs * 2 + 2_000);
      run.workers.get('worker-0')!.child.kill('SIGCONT');
      run.healed();
      await load;
      const report = await run.settleAndCheck(60_000, (s) => expectationOf(s, 5));
      const paused = (
        await run.pg.query(
          `SELECT e.job_id, j.attempt AS final_attempt, e.ended_at IS NOT NULL AS finished_late
         FROM "${run.ledgerSchema}".executions e JOIN "${run.stack.schema}".jobs j ON j.id = e.job_id
         WHERE e.pid = $1 AND e.started_at <= to_timestamp($2 / 1000.0)
           AND (e.ended_at IS NULL OR e.ended_at > to_timestamp($2 / 1000.0))`,
          [fault.pids[0], fault.at],
        )
      ).rows as { final_attempt: number; finished_late: boolean }[];
      const violations = coreViolations(report, report.inFlightOnFaulted);
      if (paused.length === 0) violations.push('nothing was running on the paused worker');
      const notMoved = paused.filter((p) => p.final_attempt < 2).length;
      if (notMoved) violations.push(`${notMoved} jobs of the paused worker were never taken over`);
      return {
        report,
        details: {
          n,
          pausedMs: lostAfterMs * 2 + 2_000,
          pausedRuns: paused.length,
          finishedLate: paused.filter((p) => p.finished_late).length,
        },
        violations,
      };
    } finally {
      await run.stop();
    }
  },
};
