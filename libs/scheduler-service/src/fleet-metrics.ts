import type { Database, PoolStore, WorkerStore } from '@jobplane/persistence';
import { outboxBacklog } from '@jobplane/persistence';
import { DURATION_BUCKETS_S, registerOutboxMetrics } from '@jobplane/telemetry';
import { Gauge, Histogram, type Registry } from 'prom-client';

/** A worker whose last heartbeat is older than this is not counted as live. */
const LIVE_WITHIN_MS = 60_000;
/**
 * A crashed worker counts as offline for this long after its last heartbeat (the alert's window),
 * then drops out of the gauges; the watchdog deletes its row a little later (WORKER_PRUNE_AFTER_MS
 * after it went offline).
 */
const OFFLINE_HORIZON_MS = 15 * 60_000;

/** Shares one read between the gauges of one scrape (prom-client collects them concurrently). */
function cachedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let cached: { at: number; data: Promise<T> } | null = null;
  return () => {
    if (!cached || Date.now() - cached.at > 500) cached = { at: Date.now(), data: read() };
    return cached.data;
  };
}

/**
 * Scrape-time gauges the scheduler reads from Postgres (same truth on every replica): the workers
 * table as heartbeats describe it, the backlog per pool and priority, and the outbox.
 */
export function registerFleetMetrics(
  registry: Registry,
  db: Database,
  pools: PoolStore,
  workers: WorkerStore,
): void {
  const fleet = cachedRead(async () => {
    const now = Date.now();
    const all = await workers.list();
    const live = all.filter((w) => now - w.lastSeenAt.getTime() <= LIVE_WITHIN_MS);
    // A clean stop ends with a draining heartbeat and nothing running: not offline, just gone.
    const watched = all.filter(
      (w) => !(w.draining && w.running.length === 0) && now - w.lastSeenAt.getTime() <= OFFLINE_HORIZON_MS,
    );
    return {
      live: live.length,
      draining: live.filter((w) => w.draining).length,
      busy: live.reduce((n, w) => n + w.running.length, 0),
      slots: live.reduce((n, w) => n + w.pools.reduce((m, p) => m + p.concurrency, 0), 0),
      offline: watched.filter((w) => now - w.lastSeenAt.getTime() > LIVE_WITHIN_MS).length,
      maxAgeS: watched.reduce((m, w) => Math.max(m, (now - w.lastSeenAt.getTime()) / 1000), 0),
    };
  });
  const fleetGauge = (name: string, help: string, pick: (f: Awaited<ReturnType<typeof fleet>>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(pick(await fleet()));
      },
    });
  fleetGauge('jobplane_workers_live', 'Workers with a heartbeat in the last 60 s.', (f) => f.live);
  fleetGauge('jobplane_workers_draining', 'Live workers draining (stopping).', (f) => f.draining);
  fleetGauge('jobplane_workers_busy_slots', 'Attempts running on live workers.', (f) => f.busy);
  fleetGauge('jobplane_workers_slots', 'Concurrency slots of live workers, summed.', (f) => f.slots);
  fleetGauge(
    'jobplane_workers_offline',
    'Workers silent for more than 60 s that did not stop cleanly (counted for 15 min after their last heartbeat).',
    (f) => f.offline,
  );
  fleetGauge(
    'jobplane_workers_heartbeat_max_age_seconds',
    'Age of the stalest heartbeat among workers that did not stop cleanly (last 15 min).',
    (f) => f.maxAgeS,
  );

  const byPriority = cachedRead(() => pools.backlogByPriority());
  const priorityGauge = (
    name: string,
    help: string,
    pick: (r: { depth: number; oldestAgeMs: number }) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool', 'priority'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const r of await byPriority()) this.set({ pool: r.pool, priority: String(r.priority) }, pick(r));
      },
    });
  priorityGauge(
    'jobplane_backlog_priority_depth',
    'Queued jobs not yet dispatched, per pool and priority.',
    (r) => r.depth,
  );
  priorityGauge(
    'jobplane_backlog_priority_oldest_age_seconds',
    'Age of the oldest queued job, per pool and priority.',
    (r) => r.oldestAgeMs / 1000,
  );
  registerOutboxMetrics(registry, () => outboxBacklog(db));
}

/** `jobplane_consumer_message_age_seconds`: how old lifecycle messages are when applied (consumer lag). */
export function registerConsumerLag(registry: Registry): (type: string, ageMs: number) => void {
  const age = new Histogram({
    name: 'jobplane_consumer_message_age_seconds',
    help: 'Age of lifecycle messages (since they occurred) when the scheduler applied them, by type.',
    labelNames: ['type'],
    buckets: DURATION_BUCKETS_S,
    registers: [registry],
  });
  return (type, ageMs) => age.observe({ type }, Math.max(0, ageMs) / 1000);
}
