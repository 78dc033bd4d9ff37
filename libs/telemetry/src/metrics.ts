import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** One registry per service, with process metrics (`jobplane_process_*`) and the service label. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'jobplane_' });
  return registry;
}

/** Seconds buckets for queue wait and run time: 10 ms to 1 h. */
export const DURATION_BUCKETS_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * `jobplane_outbox_pending` and `jobplane_outbox_oldest_age_seconds`, read at scrape time: rows
 * committed but not yet published to the broker (the relay's lag). One read serves both gauges.
 */
export function registerOutboxMetrics(
  registry: Registry,
  read: () => Promise<{ count: number; oldestAgeMs: number }>,
): void {
  // Embedded mode: the api and the scheduler share one registry and one outbox.
  if (registry.getSingleMetric('jobplane_outbox_pending')) return;
  let cached: { at: number; data: Promise<{ count: number; oldestAgeMs: number }> } | null = null;
  const snapshot = () => {
    if (!cached || Date.now() - cached.at > 500) cached = { at: Date.now(), data: read() };
    return cached.data;
  };
  new Gauge({
    name: 'jobplane_outbox_pending',
    help: 'Outbox rows committed but not yet published to the broker.',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).count);
    },
  });
  new Gauge({
    name: 'jobplane_outbox_oldest_age_seconds',
    help: 'Age of the oldest unpublished outbox row (0 when empty).',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).oldestAgeMs / 1000);
    },
  });
}
