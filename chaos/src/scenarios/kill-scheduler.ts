import { ChaosRun, expectationOf, FAST_LIVENESS } from '../harness';
import { coreViolations, okProbe, sleep, type Scenario } from './common';

/**
 * (6) kill -9 the scheduler under load: first one of two replicas (the standby takes over), then
 * the only one left (nothing moves until it is restarted). No job is lost or runs twice.
 */
export const killScheduler: Scenario = {
  name: 'kill-scheduler',
  fast: false,
  async run({ fast, scale, rng }) {
    const n = fast ? 300 : Math.round(2_000 * scale);
    const rate = fast ? 15 : 20;
    const run = await ChaosRun.start('kill-scheduler', { workers: 2, concurrency: 10, env: FAST_LIVENESS });
    try {
      const replica = await run.stack.startScheduler('scheduler-2');
      const first = run.stack.processes.find((p) => p.name === 'scheduler')!;
      const load = run.load.paced(n, rate, () => okProbe(rng, 200, 1_000, 60_000));
      await sleep(fast ? 5_000 : 20_000);
      run.faults.push({ at: Date.now(), kind: 'scheduler-replica-SIGKILL', pids: [first.child.pid!] });
      first.child.kill('SIGKILL');
      await first.exited;
      await sleep(fast ? 5_000 : 20_000);
      run.faults.push({ at: Date.now(), kind: 'scheduler-only-SIGKILL', pids: [replica.child.pid!] });
      replica.child.kill('SIGKILL');
      await replica.exited;
      await sleep(fast ? 3_000 : 10_000);
      await run.stack.startScheduler('scheduler-3');
      run.healed();
      await load;
      const report = await run.settleAndCheck(60_000, (s) => expectationOf(s, 5));
      // Workers were never hit: a scheduler crash must not make any job run twice.
      const violations = coreViolations(report, 0);
      return { report, details: { n, rate }, violations };
    } finally {
      await run.stop();
    }
  },
};
