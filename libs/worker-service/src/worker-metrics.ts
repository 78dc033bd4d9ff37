import { Counter, Gauge, type Registry } from 'prom-client';
import type { WorkerRuntime } from './worker-runtime';

/** This worker's own view: busy slots, its slots, and the attempts it finished by outcome. */
export function registerWorkerMetrics(
  registry: Registry,
  runtime: WorkerRuntime,
  pools: { pool: string; concurrency: number }[],
): void {
  new Gauge({
    name: 'jobplane_worker_busy_slots',
    help: 'Attempts running on this worker now.',
    registers: [registry],
    collect() {
      this.set(runtime.inFlight());
    },
  });
  const slots = new Gauge({
    name: 'jobplane_worker_slots',
    help: 'Concurrency slots of this worker, per pool.',
    labelNames: ['pool'],
    registers: [registry],
  });
  for (const p of pools) slots.set({ pool: p.pool }, p.concurrency);
  const attempts = new Counter({
    name: 'jobplane_worker_attempts_total',
    help: 'Attempts this worker finished, by type, pool and outcome (succeeded, failed, cancelled).',
    labelNames: ['type', 'pool', 'outcome'],
    registers: [registry],
  });
  runtime.onFinished = (type, pool, outcome) => attempts.inc({ type, pool, outcome });
  const claims = new Counter({
    name: 'jobplane_worker_claims_total',
    help: 'Attempt claims of redelivered or republished work, by outcome (granted, refused, unanswered, duplicate).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  runtime.onClaim = (outcome) => claims.inc({ outcome });
}
