import { applyEvent, canCancel, canRetry, type JobSummary } from './job-state';
import type { JobEvent } from './types';

const base: JobSummary = {
  state: 'queued',
  progress: null,
  cancelRequested: false,
  attempt: 0,
  updatedAt: 't0',
};
const ev = (type: string, data: unknown = {}, attempt: number | null = 1): JobEvent => ({
  jobId: 'j',
  seq: 1,
  type,
  attempt,
  data,
  occurredAt: 't1',
});

describe('applyEvent', () => {
  it('follows a job from queued through progress to success', () => {
    let job = applyEvent(base, ev('started'));
    expect(job).toMatchObject({ state: 'running', attempt: 1, updatedAt: 't1' });
    job = applyEvent(job, ev('progress', { percent: 40, step: '2/5', extra: true }));
    expect(job.progress).toEqual({ percent: 40, step: '2/5' });
    job = applyEvent(job, ev('succeeded'));
    expect(job).toMatchObject({ state: 'succeeded', progress: { percent: 100, step: '2/5' } });
  });

  it('goes back to queued on a retry and clears the cancel flag on a manual retry', () => {
    const cancelled = applyEvent(applyEvent(base, ev('cancel_requested', {}, null)), ev('cancelled'));
    expect(cancelled).toMatchObject({ state: 'cancelled', cancelRequested: true, attempt: 1 });
    const retried = applyEvent(cancelled, ev('retry_requested', {}, null));
    expect(retried).toMatchObject({ state: 'queued', cancelRequested: false, progress: null });
    expect(applyEvent({ ...base, state: 'running' }, ev('retrying')).state).toBe('queued');
  });

  it('leaves the state alone for an event type it does not know', () => {
    expect(applyEvent({ ...base, state: 'running' }, ev('something_new')).state).toBe('running');
  });

  it('offers cancel only while a job can still be stopped, retry only once it ended badly', () => {
    expect(canCancel({ state: 'running', cancelRequested: false })).toBe(true);
    expect(canCancel({ state: 'running', cancelRequested: true })).toBe(false);
    expect(canCancel({ state: 'succeeded', cancelRequested: false })).toBe(false);
    expect(canRetry({ state: 'failed' })).toBe(true);
    expect(canRetry({ state: 'cancelled' })).toBe(true);
    expect(canRetry({ state: 'succeeded' })).toBe(false);
    expect(canRetry({ state: 'running' })).toBe(false);
  });
});
