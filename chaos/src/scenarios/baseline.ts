import { ChaosRun, expectationOf } from '../harness';
import { coreViolations, okProbe, type Scenario } from './common';

/** (1) No fault: every job succeeds after exactly one run and the audit trail matches. */
export const baseline: Scenario = {
  name: 'baseline',
  fast: true,
  async run({ fast, scale, rng }) {
    const n = fast ? 400 : Math.round(10_000 * scale);
    const rate = fast ? 100 : 200;
    const run = await ChaosRun.start('baseline', { workers: fast ? 2 : 4, concurrency: 20 });
    try {
      await run.load.paced(n, rate, () => okProbe(rng, 10, 100, 30_000, 1));
      const report = await run.settleAndCheck(30_000, (s) => expectationOf(s, 1));
      const violations = coreViolations(report, 0);
      if (report.dupAttempt) violations.push(`dup_attempt ${report.dupAttempt} without a fault`);
      if (report.submits.unknown) violations.push(`${report.submits.unknown} submits without an answer`);
      return { report, details: { n, rate }, violations };
    } finally {
      await run.stop();
    }
  },
};
