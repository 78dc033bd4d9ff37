import { execFileSync } from 'node:child_process';
import { ChaosRun, expectationOf, FAST_LIVENESS } from '../harness';
import { PrivatePostgres, PrivateRabbit, PrivateRedis } from '../private-servers';
import { coreViolations, okProbe, sleep, type Scenario } from './common';

/**
 * (7) The platform's own Postgres, Redis and RabbitMQ (private servers on their own ports) are
 * each restarted under load. Postgres down: the api answers 503 problem+json, never a 201 for a
 * job it did not commit. Redis restarted empty: the scheduler's reconciler rebuilds the BullMQ
 * backlog from Postgres. RabbitMQ restarted: unacknowledged deliveries come back. Nothing lost.
 */
/** `CHAOS_RESTART=postgres,redis` restarts only those (to tell which restart caused what). */
const restarts = new Set((process.env.CHAOS_RESTART ?? 'postgres,redis,rabbitmq').split(','));

export const dependencyRestarts: Scenario = {
  name: 'dependency-restarts',
  fast: false,
  async run({ fast, scale, rng }) {
    const n = fast ? 400 : Math.round(3_000 * scale);
    const rate = fast ? 10 : 20;
    const outageMs = fast ? 5_000 : 30_000;
    const gapMs = fast ? 8_000 : 30_000;
    const pg = await PrivatePostgres.start();
    const redis = await PrivateRedis.start();
    let rabbit: PrivateRabbit | null = null;
    let run: ChaosRun | null = null;
    try {
      rabbit = await PrivateRabbit.start();
      run = await ChaosRun.start('dependency-restarts', {
        workers: 2,
        concurrency: 10,
        servers: { databaseUrl: pg.url, redisUrl: redis.url, amqpUrl: rabbit.url },
        env: { ...FAST_LIVENESS, RECOVERY_INTERVAL_MS: '2000' },
      });
      const r = run;
      const workerPids = () => [...r.workers.values()].map((p) => p.child.pid!);
      const load = r.load.paced(n, rate, () => okProbe(rng, 200, 1_000, 60_000));
      await sleep(gapMs);

      let errorsInPgOutage: number | null = null;
      if (restarts.has('postgres')) {
        r.faults.push({ at: Date.now(), kind: 'postgres-crash', pids: [] });
        pg.stop('immediate');
        await sleep(outageMs);
        pg.start();
        await r.reconnectRegistry();
        errorsInPgOutage = r.load.serverErrors;
        await sleep(gapMs);
      }

      let redisKeysLost: number | null = null;
      if (restarts.has('redis')) {
        const dbsize = execFileSync('redis-cli', ['-p', String(redis.port), 'dbsize']);
        redisKeysLost = Number(dbsize.toString());
        r.faults.push({ at: Date.now(), kind: 'redis-crash', pids: [] });
        await redis.kill();
        await sleep(outageMs);
        await redis.start();
        await sleep(gapMs);
      }

      if (restarts.has('rabbitmq')) {
        // Deliveries unacknowledged at the broker's stop come back: the runs in flight may repeat.
        r.faults.push({ at: Date.now(), kind: 'rabbitmq-restart', pids: workerPids() });
        await rabbit.stopApp();
        await sleep(outageMs);
        await rabbit.startApp();
      }
      r.healed();
      await load;

      // Resolve each unknown submit (a 503, a cut connection) as a client would: same body, same key.
      const unknown = r.load.history.filter((s) => s.outcome === 'unknown');
      for (const s of unknown) {
        await r.load.resolve(s, { ...okProbe(rng, 200, 1_000, 60_000), payload: s.payload });
      }
      const report = await r.settleAndCheck(60_000, (s) => expectationOf(s, 5));
      const violations = coreViolations(report, report.inFlightOnFaulted);
      const badErrors = Object.entries(r.load.serverErrorKinds).filter(
        ([kind]) => kind !== '503 application/problem+json',
      );
      if (badErrors.length) violations.push(`5xx other than 503 problem+json: ${JSON.stringify(badErrors)}`);
      if (errorsInPgOutage === 0)
        violations.push('no 503 during the Postgres outage: the fault did not bite');
      return {
        report,
        details: {
          restarted: [...restarts],
          n,
          rate,
          outageMs,
          serverErrors: r.load.serverErrorKinds,
          errorsInPgOutage,
          unknownResolvedByKey: unknown.length,
          redisKeysLost,
        },
        violations,
      };
    } finally {
      await run?.stop();
      await rabbit?.destroy();
      await redis.kill();
      pg.destroy();
    }
  },
};
