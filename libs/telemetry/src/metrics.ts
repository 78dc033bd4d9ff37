import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per service, with process metrics (`jobplane_process_*`) and the service label. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'jobplane_' });
  return registry;
}
