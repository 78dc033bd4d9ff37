/** What a live event says about a job's row: its state, progress and cancel flag, without a refetch. */
import type { Job, JobEvent, JobProgress, JobState } from './types';

const STATE_BY_EVENT: Record<string, JobState> = {
  submitted: 'queued',
  dispatched: 'queued',
  retrying: 'queued',
  retry_requested: 'queued',
  rate_limited: 'queued',
  worker_lost: 'queued',
  started: 'running',
  progress: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  timeout: 'timeout',
  cancelled: 'cancelled',
};

export type JobSummary = Pick<Job, 'state' | 'progress' | 'cancelRequested' | 'attempt' | 'updatedAt'>;

export function applyEvent<T extends JobSummary>(job: T, event: JobEvent): T {
  const next: T = { ...job, updatedAt: event.occurredAt };
  const state = STATE_BY_EVENT[event.type];
  if (state) next.state = state;
  if (event.attempt !== null && event.attempt !== undefined) next.attempt = event.attempt;
  if (event.type === 'progress') next.progress = asProgress(event.data);
  if (event.type === 'started' || event.type === 'retry_requested') next.progress = null;
  if (event.type === 'succeeded') next.progress = { ...(job.progress ?? {}), percent: 100 };
  if (event.type === 'cancel_requested') next.cancelRequested = true;
  if (event.type === 'retry_requested') next.cancelRequested = false;
  return next;
}

function asProgress(data: unknown): JobProgress | null {
  if (!data || typeof data !== 'object') return null;
  const { percent, step, message } = data as Record<string, unknown>;
  const progress: JobProgress = {};
  if (typeof percent === 'number') progress.percent = percent;
  if (typeof step === 'string') progress.step = step;
  if (typeof message === 'string') progress.message = message;
  return progress;
}

export function canCancel(job: Pick<Job, 'state' | 'cancelRequested'>): boolean {
  return (job.state === 'queued' || job.state === 'running') && !job.cancelRequested;
}

export function canRetry(job: Pick<Job, 'state'>): boolean {
  return job.state === 'failed' || job.state === 'timeout' || job.state === 'cancelled';
}
