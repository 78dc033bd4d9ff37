import { ChaosRun, expectationOf, FAST_LIVENESS } from '../harness';
import { coreViolations, okProbe, sleep, type Scenario } from './common';

/**
 * (2) kill -9 one worker every `everyMs` while jobs of seconds run; each killed worker restarts.
 * Duplicates are allowed only for the runs that were on the killed processes.
 */
export const killWorker: Scenario = {
  name: 'kill-worker',
  fast: true,
  async run({ fast, scale, rng }) {
    const n = fast ? 300 : Math.round(3_000 * scale);
    const rate = fast ? 15 : 10;
    const everyMs = fast ? 6_000 : 30_000;
    const [minMs, maxMs] = fast ? [500, 1_500] : [2_000, 5_000];
    const run = await ChaosRun.start('kill-worker', { workers: 3, concurrency: 10, env: FAST_LIVENESS });
    try {
      let kills = 0;
      let loading = true;
      const load = run.load
        .paced(n, rate, () => okProbe(rng, minMs, maxMs, 60_000))
        .finally(() => {
          loading = false;
        });
      const killer = (async () => {
        await sleep(everyMs / 2);
        while (loading) {
          const name = `worker-${kills % 3}`;
          run.signal([name], 'SIGKILL');
          kills++;
          await run.workers.get(name)!.exited;
          await run.startWorker(name);
          run.healed();
          await sleep(everyMs);
        }
      })();
      await Promise.all([load, killer]);
      const report = await run.settleAndCheck(60_000, (s) => expectationOf(s, 5));
      const violations = coreViolations(report, report.inFlightOnFaulted);
      if (kills === 0) violations.push('no worker was killed');
      // A killed run cannot finish, unless its handler had returned and the kill cut off its report
      // (or the probe's end stamp, already sent, landed after the kill).
      if (report.dupCompleted > report.unreportedOnFaulted)
        violations.push(
          `dup_completed ${report.dupCompleted} > ${report.unreportedOnFaulted} runs ended but unreported at a kill`,
        );
      return { report, details: { n, rate, kills, everyMs }, violations };
    } finally {
      await run.stop();
    }
  },
};
