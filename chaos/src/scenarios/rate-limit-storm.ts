import { BrokerMemoryWatch } from '../broker-memory';
import { ChaosRun, expectationOf } from '../harness';
import { coreViolations, okProbe, type Scenario } from './common';

/**
 * (12) A burst far over the tenant's rate limit with 2 workers: over-quota requests get 429 with
 * Retry-After (the client waits it and retries with the same key), never 5xx; every job is
 * accepted once and the backlog drains. The broker is sampled (`rabbitmqctl status`) through the
 * storm and the drain: it must never raise its memory alarm (which blocks every publisher).
 */
export const rateLimitStorm: Scenario = {
  name: 'rate-limit-storm',
  fast: false,
  async run({ fast, scale, rng }) {
    const n = fast ? 400 : Math.round(50_000 * scale);
    // Under the api's own throughput here, or the storm never reaches the limit.
    const tenantRate = fast ? 10 : 100;
    const run = await ChaosRun.start('rate-limit-storm', {
      workers: 2,
      concurrency: 20,
      env: { TENANT_RATE_LIMIT: `*:${tenantRate}` },
    });
    const broker = new BrokerMemoryWatch();
    try {
      broker.start();
      const t0 = Date.now();
      // As fast as 64 open requests allow: far over the tenant's rate.
      await run.load.paced(n, 100_000, () => okProbe(rng, 5, 20, 60_000, 1), 64);
      const submitS = (Date.now() - t0) / 1000;
      const report = await run.settleAndCheck(60_000, (s) => expectationOf(s, 1));
      await broker.stop();
      const violations = coreViolations(report, 0);
      if (broker.memoryAlarm) violations.push(`broker memory alarm: ${[...broker.alarms].join(', ')}`);
      const { rateLimited, rateLimitedWithoutRetryAfter, serverErrors } = run.load;
      if (rateLimited === 0) violations.push('no 429: the storm never went over the limit');
      if (rateLimitedWithoutRetryAfter)
        violations.push(`${rateLimitedWithoutRetryAfter} 429s without Retry-After`);
      if (serverErrors) violations.push(`${serverErrors} 5xx answers`);
      if (report.submits.unknown) violations.push(`${report.submits.unknown} submits without an answer`);
      return {
        report,
        details: {
          n,
          tenantRate,
          rateLimited,
          serverErrors,
          submitS,
          brokerMemory: {
            samples: broker.samples,
            peakUsedMb: broker.peakUsedMb,
            limitMb: broker.limitMb,
            peakFraction: Number(broker.peakFraction.toFixed(3)),
            alarms: [...broker.alarms],
            ...(broker.error ? { error: broker.error } : {}),
          },
        },
        violations,
      };
    } finally {
      await broker.stop();
      await run.stop();
    }
  },
};
