import { ChaosRun, expectationOf, FAST_LIVENESS } from '../harness';
import { PrivateRabbit } from '../private-servers';
import { coreViolations, okProbe, sleep, type Scenario } from './common';

/** The private broker's delivery timeout; the shared broker keeps RabbitMQ's 30 min default. */
const CONSUMER_TIMEOUT_MS = 10_000;
/** Longer than the timeout plus RabbitMQ's once-a-minute check of it, so the limit surely fires. */
const LONG_MS = 75_000;
/** RabbitMQ's warning when it closes a channel over an unacknowledged delivery. */
const CONSUMER_TIMEOUT_LOG = /has timed out waiting/i;

/**
 * (9) Long jobs past a shortened broker `consumer_timeout` (a private RabbitMQ node configured with
 * it), mixed with short jobs on the same worker and channel. With the worker's early ack below the
 * timeout, each long job runs exactly once and no short job is redelivered. A control run with
 * the early ack above the timeout shows the broker limit really fires on this node.
 */
export const consumerTimeout: Scenario = {
  name: 'consumer-timeout',
  fast: false,
  async run({ fast, scale, rng }) {
    const longJobs = fast ? 4 : Math.round(20 * scale);
    const shortJobs = fast ? 150 : Math.round(1_000 * scale);
    const rabbit = await PrivateRabbit.start([`consumer_timeout = ${CONSUMER_TIMEOUT_MS}`]);
    try {
      const guarded = await phase(
        rabbit,
        'guarded',
        String(CONSUMER_TIMEOUT_MS / 2),
        longJobs,
        shortJobs,
        rng,
      );
      const timeoutsAfterGuarded = rabbit.logCount(CONSUMER_TIMEOUT_LOG);
      // The control: early ack after the broker's limit. Only the evidence counts, not the checker.
      const control = await phase(rabbit, 'control', String(10 * LONG_MS), Math.min(2, longJobs), 20, rng);
      const timeoutsInControl = rabbit.logCount(CONSUMER_TIMEOUT_LOG) - timeoutsAfterGuarded;
      const violations = coreViolations(guarded, 0);
      if (timeoutsAfterGuarded)
        violations.push(`${timeoutsAfterGuarded} consumer timeouts with the early ack on`);
      if (!timeoutsInControl && !control.dupExec)
        violations.push('the control run saw no consumer timeout: the broker limit never fired');
      return {
        report: guarded,
        details: {
          consumerTimeoutMs: CONSUMER_TIMEOUT_MS,
          earlyAckMs: CONSUMER_TIMEOUT_MS / 2,
          longJobs,
          longMs: LONG_MS,
          shortJobs,
          control: {
            earlyAckMs: 10 * LONG_MS,
            brokerTimeouts: timeoutsInControl,
            dupExec: control.dupExec,
            dupAttempt: control.dupAttempt,
            okFrac: control.okFrac,
            lost: control.lost.length,
          },
        },
        violations,
      };
    } finally {
      await rabbit.destroy();
    }
  },
};

async function phase(
  rabbit: PrivateRabbit,
  label: string,
  earlyAckMs: string,
  longJobs: number,
  shortJobs: number,
  rng: () => number,
) {
  const amqpUrl = await rabbit.vhostUrl(`consumer-timeout-${label}`);
  const run = await ChaosRun.start(`consumer-timeout-${label}`, {
    workers: 1,
    concurrency: 8,
    servers: { amqpUrl },
    env: { ...FAST_LIVENESS, WORKER_EARLY_ACK_MS: earlyAckMs },
  });
  try {
    const long = run.load.paced(longJobs, 2, () => okProbe(rng, LONG_MS, LONG_MS, 3 * LONG_MS, 1));
    await sleep(2_000);
    // Short jobs share the worker's channel with the long deliveries for the whole long run.
    await run.load.paced(shortJobs, shortJobs / (LONG_MS / 1_000), () => okProbe(rng, 100, 400, 30_000, 1));
    await long;
    run.healed();
    return await run.settleAndCheck(3 * LONG_MS, (s) => expectationOf(s, 1));
  } finally {
    await run.stop();
  }
}
