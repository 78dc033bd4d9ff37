import { ChaosRun, expectationOf, FAST_LIVENESS } from '../harness';
import { coreViolations, okProbe, sleep, type Scenario } from './common';

/** (3) kill -9 every worker at once under load; bring them back after `outageMs`. */
export const killAll: Scenario = {
  name: 'kill-all',
  fast: false,
  async run({ fast, scale, rng }) {
    const n = fast ? 300 : Math.round(2_000 * scale);
    const rate = fast ? 15 : 10;
    const outageMs = fast ? 10_000 : 60_000;
    const run = await ChaosRun.start('kill-all', { workers: 3, concurrency: 10, env: FAST_LIVENESS });
    try {
      const load = run.load.paced(n, rate, () => okProbe(rng, 500, 2_000, 60_000));
      await sleep(fast ? 8_000 : 30_000);
      const names = [...run.workers.keys()];
      run.signal(names, 'SIGKILL');
      await sleep(outageMs);
      for (const name of names) await run.startWorker(name);
      run.healed();
      await load;
      const report = await run.settleAndCheck(60_000, (s) => expectationOf(s, 5));
      const violations = coreViolations(report, report.inFlightOnFaulted);
      if (report.inFlightOnFaulted === 0) violations.push('nothing was running when the workers died');
      return { report, details: { n, rate, outageMs }, violations };
    } finally {
      await run.stop();
    }
  },
};
