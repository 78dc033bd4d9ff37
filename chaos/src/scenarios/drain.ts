import { ChaosRun, expectationOf, FAST_LIVENESS } from '../harness';
import { coreViolations, okProbe, sleep, type Scenario } from './common';

const DRAIN_SECONDS = 3;

/**
 * (4) SIGTERM one worker under load, with jobs shorter and longer than its drain period. Short
 * ones finish in the drain; long ones are handed back and run again elsewhere. No run finishes
 * twice, and only the handed-back runs are repeated.
 */
export const drain: Scenario = {
  name: 'drain',
  fast: false,
  async run({ fast, scale, rng }) {
    const n = fast ? 200 : Math.round(2_000 * scale);
    const rate = fast ? 15 : 20;
    const run = await ChaosRun.start('drain', {
      workers: 2,
      concurrency: 10,
      env: { ...FAST_LIVENESS, WORKER_DRAIN_SECONDS: String(DRAIN_SECONDS) },
    });
    try {
      const longMs = (DRAIN_SECONDS + 5) * 1000;
      const load = run.load.paced(n, rate, () =>
        rng() < 0.2 ? okProbe(rng, longMs, longMs + 2_000, 60_000) : okProbe(rng, 200, 1_000, 60_000),
      );
      await sleep(fast ? 6_000 : 30_000);
      const fault = run.signal(['worker-0'], 'SIGTERM');
      const code = await run.workers.get('worker-0')!.exited;
      const drainedMs = Date.now() - fault.at;
      await run.startWorker('worker-0');
      run.healed();
      await load;
      const report = await run.settleAndCheck(60_000, (s) => expectationOf(s, 5));
      const handedBack = (
        await run.pg.query(
          `SELECT count(*)::int AS n FROM "${run.ledgerSchema}".executions WHERE pid = $1 AND ended_at IS NULL`,
          [fault.pids[0]],
        )
      ).rows[0].n as number;
      const violations = coreViolations(report, handedBack);
      if (report.dupCompleted) violations.push(`dup_completed ${report.dupCompleted} on a graceful shutdown`);
      if (code !== 0) violations.push(`worker exited with ${code} on SIGTERM`);
      if (drainedMs > (DRAIN_SECONDS + 10) * 1000) violations.push(`drain took ${drainedMs} ms`);
      if (report.inFlightOnFaulted === 0) violations.push('nothing was running at SIGTERM');
      return { report, details: { n, rate, drainedMs, handedBack, exitCode: code }, violations };
    } finally {
      await run.stop();
    }
  },
};
