import { ChaosRun, expectationOf } from '../harness';
import { coreViolations, okProbe, sleep, type Scenario } from './common';

/**
 * (8) The audit service is down (kill -9) for `outageMs` under load, then back: the trail must
 * end complete and in the registry's order, and jobs must not notice.
 */
export const auditDown: Scenario = {
  name: 'audit-down',
  fast: false,
  async run({ fast, scale, rng }) {
    const n = fast ? 300 : Math.round(3_000 * scale);
    const rate = fast ? 15 : 20;
    const outageMs = fast ? 15_000 : 60_000;
    const run = await ChaosRun.start('audit-down', { workers: 2, concurrency: 10 });
    try {
      const load = run.load.paced(n, rate, () => okProbe(rng, 100, 500, 30_000, 1));
      await sleep(3_000);
      const audit = run.stack.processes.find((p) => p.name === 'audit')!;
      run.faults.push({ at: Date.now(), kind: 'audit-SIGKILL', pids: [audit.child.pid!] });
      audit.child.kill('SIGKILL');
      await sleep(outageMs);
      await run.stack.startAudit('audit-2');
      run.healed();
      await load;
      // The trail catches up after the jobs are done: give it the time its backlog needs.
      let report = await run.settleAndCheck(30_000, (s) => expectationOf(s, 1));
      for (let i = 0; i < 20 && report.auditMismatch > 0; i++) {
        await sleep(1_000);
        report = await run.settleAndCheck(30_000, (s) => expectationOf(s, 1));
      }
      const violations = coreViolations(report, 0);
      return { report, details: { n, rate, outageMs }, violations };
    } finally {
      await run.stop();
    }
  },
};
