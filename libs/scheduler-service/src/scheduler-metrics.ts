import { PoolStore } from '@jobplane/persistence';
import { Counter, Gauge, Registry } from 'prom-client';

/** Counters the scheduler's parts keep (monotonic, per process). */
export interface SchedulerCounters {
  dispatched: () => number;
  /** Of those, dispatched in the consumer's transaction without passing through the backlog. */
  dispatchedInline: () => number;
  repaired: () => number;
  purged: () => number;
  recovered: () => number;
  timedOut: () => number;
  fired: () => number;
  leading: () => boolean;
}

/**
 * The scheduler's metrics. Pool gauges (backlog depth and oldest age — the autoscaling signal —
 * in-flight and capacity) are read from Postgres at scrape time, so every replica reports the same
 * truth; counters are this process's own.
 */
export function registerSchedulerMetrics(
  registry: Registry,
  pools: PoolStore,
  c: SchedulerCounters,
  defaultCapacity: number,
): void {
  const counter = (name: string, help: string, value: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  counter('jobplane_dispatches_total', 'Attempts dispatched to work queues by this scheduler.', c.dispatched);
  counter(
    'jobplane_dispatches_inline_total',
    'Of those, attempts dispatched as their job arrived, skipping the empty backlog (the single-hop path).',
    c.dispatchedInline,
  );
  counter(
    'jobplane_reconciler_repairs_total',
    'Queued jobs put back into the backlog (or un-parked) by the reconciler.',
    c.repaired,
  );
  counter('jobplane_retention_purged_total', 'Expired terminal jobs purged.', c.purged);
  counter(
    'jobplane_watchdog_recovered_total',
    'Running jobs of lost workers put back or failed.',
    c.recovered,
  );
  counter(
    'jobplane_watchdog_timeouts_total',
    'Running jobs timed out at their hard limit by the watchdog.',
    c.timedOut,
  );
  counter('jobplane_schedule_fires_total', 'Jobs submitted by cron schedules.', c.fired);
  new Gauge({
    name: 'jobplane_scheduler_leader',
    help: '1 on the scheduler replica holding the lease (it dispatches), else 0.',
    registers: [registry],
    collect() {
      this.set(c.leading() ? 1 : 0);
    },
  });
  // The four pool gauges of one scrape share one set of queries (prom-client collects concurrently).
  let cached: { at: number; data: Promise<PoolSnapshot> } | null = null;
  const snapshot = () => {
    if (!cached || Date.now() - cached.at > 500)
      cached = { at: Date.now(), data: readPools(pools, defaultCapacity) };
    return cached.data;
  };
  const poolGauge = (name: string, help: string, pick: (p: PoolSnapshot[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const p of await snapshot()) this.set({ pool: p.pool }, pick(p));
      },
    });
  poolGauge(
    'jobplane_backlog_depth',
    'Queued jobs not yet dispatched, per pool (the autoscaling signal).',
    (p) => p.depth,
  );
  poolGauge(
    'jobplane_backlog_oldest_age_seconds',
    'Age of the oldest queued job, per pool.',
    (p) => p.oldestAgeS,
  );
  poolGauge('jobplane_pool_in_flight', 'Jobs dispatched and unfinished, per pool.', (p) => p.inFlight);
  poolGauge('jobplane_pool_capacity', 'Capacity of the pool.', (p) => p.capacity);
}

type PoolSnapshot = { pool: string; depth: number; oldestAgeS: number; inFlight: number; capacity: number }[];

async function readPools(pools: PoolStore, defaultCapacity: number): Promise<PoolSnapshot> {
  const [settings, flight, backlog, served] = await Promise.all([
    pools.list(),
    pools.inFlight(),
    pools.backlog(),
    pools.served(),
  ]);
  // Every pool someone configured, serves or uses, so an idle pool reports 0 rather than nothing.
  const names = new Set([...settings.map((s) => s.name), ...flight.keys(), ...backlog.keys(), ...served]);
  return [...names].map((pool) => ({
    pool,
    depth: backlog.get(pool)?.depth ?? 0,
    oldestAgeS: (backlog.get(pool)?.oldestAgeMs ?? 0) / 1000,
    inFlight: flight.get(pool) ?? 0,
    capacity: settings.find((s) => s.name === pool)?.capacity ?? defaultCapacity,
  }));
}
