import { Message, MessageOf, sourcesOf, uuidv7 } from '@jobplane/contracts';
import {
  applyGuardedUpdate,
  JobEventInput,
  JobRecord,
  lockJob,
  OutboxMessage,
  Tx,
} from '@jobplane/persistence';
import { cancelCommand, dispatchMessage } from './dispatch';
import { retryDelayMs } from './retry-policy';

/** What applying one message decided, for the caller to act on after commit. */
export interface Applied {
  /** The update was applied (false: fenced out as late, duplicate or stale). */
  changed: boolean;
  /** A job that became due later (retry backoff or runAt) and needs a timer. */
  dueAt?: { jobId: string; at: Date };
}

const event = (m: Message, type: string, attempt: number | null, data: unknown = {}): JobEventInput => ({
  id: m.id,
  type,
  attempt,
  data,
  occurredAt: new Date(m.occurredAt),
});

/**
 * The scheduler's rules: turns lifecycle messages into guarded transitions, events and outgoing
 * messages, inside the caller's transaction. Every guard comes from the transition table, so a late,
 * duplicated or stale-attempt message changes nothing.
 */
export class EventApplier {
  constructor(private readonly now: () => Date = () => new Date()) {}

  async apply(tx: Tx, m: Message, outbox: OutboxMessage[]): Promise<Applied> {
    switch (m.type) {
      case 'job.submitted':
        return this.dispatchIfDue(tx, m.jobId, 0, m, outbox);
      case 'job.cancel_requested':
        return this.cancelRequested(tx, m, outbox);
      case 'job.started': {
        const job = await applyGuardedUpdate(tx, {
          jobId: m.jobId,
          fromStates: sourcesOf('running'),
          attempt: m.data.attempt,
          set: { state: 'running', startedAt: new Date(m.occurredAt) },
          event: event(m, 'started', m.data.attempt, { workerId: m.data.workerId }),
        });
        // A cancel that raced the start: tell the worker now.
        if (job?.cancelRequestedAt) outbox.push(cancelCommand(job));
        return { changed: job !== null };
      }
      case 'job.progress':
        return this.changed(
          applyGuardedUpdate(tx, {
            jobId: m.jobId,
            fromStates: ['running'],
            attempt: m.data.attempt,
            set: { progress: m.data.progress },
            event: event(m, 'progress', m.data.attempt, m.data.progress),
          }),
        );
      case 'job.succeeded':
        return this.changed(
          applyGuardedUpdate(tx, {
            jobId: m.jobId,
            fromStates: sourcesOf('succeeded'),
            attempt: m.data.attempt,
            set: { state: 'succeeded', result: m.data.result, error: null, finishedAt: new Date(m.occurredAt) },
            event: event(m, 'succeeded', m.data.attempt, { durationMs: m.data.durationMs }),
          }),
        );
      case 'job.failed':
        return this.failed(tx, m, outbox);
      case 'job.cancelled':
        return this.changed(
          applyGuardedUpdate(tx, {
            jobId: m.jobId,
            fromStates: sourcesOf('cancelled'),
            attempt: m.data.attempt,
            set: { state: 'cancelled', finishedAt: new Date(m.occurredAt) },
            event: event(m, 'cancelled', m.data.attempt, { reason: m.data.reason ?? null }),
          }),
        );
      case 'job.heartbeat': // liveness is the watchdog's concern, not the registry's
      case 'job.dispatch': // these travel on other exchanges; never expected here
      case 'job.cancel':
        return { changed: false };
    }
  }

  /** Dispatches attempt `attempt + 1` if the job is queued at `attempt` and due; else reports when it is due. */
  async dispatchIfDue(tx: Tx, jobId: string, attempt: number, cause: Message | null, outbox: OutboxMessage[]): Promise<Applied> {
    const job = await lockJob(tx, jobId);
    if (!job || job.state !== 'queued' || job.attempt !== attempt) return { changed: false };
    if (job.cancelRequestedAt) return this.cancelQueued(tx, job, cause, outbox);
    if (job.runAt && job.runAt > this.now()) return { changed: false, dueAt: { jobId, at: job.runAt } };
    const next = attempt + 1;
    const dispatched = await applyGuardedUpdate(tx, {
      jobId,
      fromStates: ['queued'],
      attempt,
      set: { attempt: next, runAt: null },
      event: { id: uuidv7(), type: 'dispatched', attempt: next, data: { pool: job.pool }, occurredAt: this.now() },
    });
    if (!dispatched) return { changed: false };
    outbox.push(dispatchMessage(dispatched));
    return { changed: true };
  }

  private async cancelRequested(tx: Tx, m: MessageOf<'job.cancel_requested'>, outbox: OutboxMessage[]): Promise<Applied> {
    const job = await lockJob(tx, m.jobId);
    if (!job) return { changed: false };
    if (job.state === 'queued') return this.cancelQueued(tx, job, m, outbox);
    if (job.state !== 'running') return { changed: false };
    const recorded = await applyGuardedUpdate(tx, {
      jobId: job.id,
      fromStates: ['running'],
      set: {},
      event: event(m, 'cancel_requested', job.attempt, { reason: m.data.reason ?? null }),
    });
    outbox.push(cancelCommand(job, m.data.reason));
    return { changed: recorded !== null };
  }

  private async cancelQueued(tx: Tx, job: JobRecord, cause: Message | null, outbox: OutboxMessage[]): Promise<Applied> {
    const cancelled = await applyGuardedUpdate(tx, {
      jobId: job.id,
      fromStates: ['queued'],
      set: { state: 'cancelled', finishedAt: this.now() },
      event: { id: cause?.type === 'job.cancel_requested' ? cause.id : uuidv7(), type: 'cancelled', attempt: job.attempt || null, data: { reason: 'cancelled before it ran' }, occurredAt: this.now() },
    });
    // A dispatch may already sit in a work queue: make sure no worker starts it.
    if (cancelled && job.attempt > 0) outbox.push(cancelCommand(job));
    return { changed: cancelled !== null };
  }

  private async failed(tx: Tx, m: MessageOf<'job.failed'>, outbox: OutboxMessage[]): Promise<Applied> {
    const job = await lockJob(tx, m.jobId);
    if (!job || job.attempt !== m.data.attempt) return { changed: false };
    const { error, attempt } = m.data;
    const retry = error.retryable && job.state === 'running' && attempt < job.maxAttempts && !job.cancelRequestedAt;
    if (!retry) {
      return this.changed(
        applyGuardedUpdate(tx, {
          jobId: job.id,
          fromStates: sourcesOf('failed'),
          attempt,
          set: { state: 'failed', error, finishedAt: new Date(m.occurredAt) },
          event: event(m, 'failed', attempt, { error, durationMs: m.data.durationMs }),
        }),
      );
    }
    const delayMs = retryDelayMs(attempt, job.backoff as never);
    const dueAt = new Date(this.now().getTime() + delayMs);
    const requeued = await applyGuardedUpdate(tx, {
      jobId: job.id,
      fromStates: sourcesOf('queued'),
      attempt,
      set: { state: 'queued', error, runAt: dueAt },
      event: event(m, 'retrying', attempt, { error, delayMs, nextAttempt: attempt + 1 }),
    });
    if (!requeued) return { changed: false };
    if (delayMs === 0) {
      const sent = await this.dispatchIfDue(tx, job.id, attempt, null, outbox);
      return { changed: true, ...(sent.dueAt ? { dueAt: sent.dueAt } : {}) };
    }
    return { changed: true, dueAt: { jobId: job.id, at: dueAt } };
  }

  private async changed(update: Promise<JobRecord | null>): Promise<Applied> {
    return { changed: (await update) !== null };
  }
}
