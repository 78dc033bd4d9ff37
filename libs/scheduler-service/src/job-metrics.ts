import type { JobEventInput, JobRecord } from '@jobplane/persistence';
import { DURATION_BUCKETS_S } from '@jobplane/telemetry';
import { Counter, Histogram, type Registry } from 'prom-client';

const TERMINAL = new Set(['succeeded', 'failed', 'timeout', 'cancelled']);
const RETRIES = new Set(['retrying', 'worker_lost']);

/** Observes one committed transition of a job (its row after the update, and the event recorded). */
export type TransitionObserver = (job: JobRecord, event: JobEventInput) => void;

/**
 * Job outcome metrics, fed by the transitions the scheduler commits. Each transition is applied
 * exactly once across replicas (guarded updates fence out duplicates), so the counters summed over
 * replicas count every job once. Labels are the job's type and pool: bounded by configuration.
 */
export function registerJobMetrics(registry: Registry): TransitionObserver {
  const finished = new Counter({
    name: 'jobplane_jobs_finished_total',
    help: 'Jobs that reached a final state, by type, pool and outcome.',
    labelNames: ['type', 'pool', 'outcome'],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'jobplane_job_retries_total',
    help: 'Attempts that failed and were scheduled again (retrying or worker lost).',
    labelNames: ['type', 'pool', 'reason'],
    registers: [registry],
  });
  const paused = new Counter({
    name: 'jobplane_rate_limit_pauses_total',
    help: 'Pool pauses after a handler reported RateLimited.',
    labelNames: ['pool'],
    registers: [registry],
  });
  const wait = new Histogram({
    name: 'jobplane_job_queue_wait_seconds',
    help: 'Submit to start of the last attempt, for finished jobs that ran.',
    labelNames: ['type', 'pool'],
    buckets: DURATION_BUCKETS_S,
    registers: [registry],
  });
  const run = new Histogram({
    name: 'jobplane_job_run_seconds',
    help: 'Start of the last attempt to its final outcome, for finished jobs that ran.',
    labelNames: ['type', 'pool', 'outcome'],
    buckets: DURATION_BUCKETS_S,
    registers: [registry],
  });
  return (job, event) => {
    const labels = { type: job.type, pool: job.pool };
    if (TERMINAL.has(event.type)) {
      finished.inc({ ...labels, outcome: event.type });
      if (job.startedAt) {
        const end = job.finishedAt ?? event.occurredAt;
        wait.observe(labels, Math.max(0, job.startedAt.getTime() - job.createdAt.getTime()) / 1000);
        run.observe(
          { ...labels, outcome: event.type },
          Math.max(0, end.getTime() - job.startedAt.getTime()) / 1000,
        );
      }
    } else if (RETRIES.has(event.type)) retries.inc({ ...labels, reason: event.type });
    else if (event.type === 'rate_limited') paused.inc({ pool: job.pool });
  };
}
