import type { JobRecord } from '@jobplane/persistence';
import { Counter, Histogram, type Registry } from 'prom-client';

/** `jobplane_jobs_submitted_total`: jobs created through the API, counted once after commit. */
export function registerSubmitMetrics(registry: Registry): (job: JobRecord) => void {
  const submitted = new Counter({
    name: 'jobplane_jobs_submitted_total',
    help: 'Jobs created through the API (idempotent replays not counted), by type and pool.',
    labelNames: ['type', 'pool'],
    registers: [registry],
  });
  return (job) => submitted.inc({ type: job.type, pool: job.pool });
}

/** Request counter and latency histogram of one protocol (HTTP: route template; gRPC: method). */
export interface RequestMetrics {
  observe(labels: Record<string, string>, seconds: number): void;
}

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * `jobplane_http_requests_total{method,route,status}` and `jobplane_http_request_duration_seconds`.
 * `route` is the route template (`/v1/jobs/:id`), never the raw URL, so it stays bounded.
 */
export function registerHttpMetrics(registry: Registry): RequestMetrics {
  return requestMetrics(registry, 'http', ['method', 'route', 'status'], 'HTTP requests answered');
}

/** `jobplane_grpc_requests_total{method,code}` and `jobplane_grpc_request_duration_seconds`. */
export function registerGrpcMetrics(registry: Registry): RequestMetrics {
  return requestMetrics(registry, 'grpc', ['method', 'code'], 'gRPC calls answered');
}

function requestMetrics(
  registry: Registry,
  kind: string,
  labelNames: string[],
  help: string,
): RequestMetrics {
  const existing = registry.getSingleMetric(`jobplane_${kind}_requests_total`);
  const total =
    (existing as Counter | undefined) ??
    new Counter({ name: `jobplane_${kind}_requests_total`, help, labelNames, registers: [registry] });
  const duration =
    (registry.getSingleMetric(`jobplane_${kind}_request_duration_seconds`) as Histogram | undefined) ??
    new Histogram({
      name: `jobplane_${kind}_request_duration_seconds`,
      help: `${help}: time to answer, in seconds`,
      labelNames,
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    });
  return {
    observe(labels, seconds) {
      total.inc(labels);
      duration.observe(labels, seconds);
    },
  };
}
