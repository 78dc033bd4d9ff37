import { ERROR_CODES, JobError, MessageOf, Progress } from '@jobplane/contracts';
import type { Logger } from '@jobplane/telemetry';
import { EventPublisher, ProgressThrottle } from './event-publisher';
import { HandlerDefinition, toJobError, validatePayload } from './handler';

/** Why an attempt's signal fired. */
export type StopReason = 'cancel' | 'soft_limit' | 'hard_limit' | 'shutdown';

export type Outcome =
  | { kind: 'succeeded'; result: unknown }
  | { kind: 'failed'; error: JobError }
  | { kind: 'cancelled' }
  /** Shutting down: the delivery goes back to the queue, nothing is published. */
  | { kind: 'handed_back' };

/**
 * Runs one attempt of a job: started, the handler with its signal and time limits, throttled
 * progress, then exactly one outcome. A handler that ignores its signal after a cancel or the hard
 * limit is abandoned once `graceMs` is over (an inline handler cannot be killed; isolated execution
 * is what kills it), so the outcome and the worker's slot never wait for it.
 */
export class AttemptRunner {
  private readonly controller = new AbortController();
  private reason: StopReason | null = null;
  private abandon: (() => void) | null = null;

  constructor(
    private readonly msg: MessageOf<'job.dispatch'>,
    private readonly handler: HandlerDefinition,
    private readonly events: EventPublisher,
    private readonly log: Logger,
    private readonly opts: { workerId: string; graceMs: number; progressIntervalMs: number },
  ) {}

  /** Fires the handler's signal; after the grace the attempt ends without it. */
  stop(reason: StopReason, message: string): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller.abort(new Error(message));
    if (reason !== 'soft_limit') {
      setTimeout(() => this.abandon?.(), this.opts.graceMs).unref();
    }
  }

  async run(): Promise<Outcome> {
    const { msg } = this;
    const job = { jobId: msg.jobId, tenant: msg.tenant };
    const { attempt, timeouts } = msg.data;
    const timers = [
      timeouts?.softMs
        ? setTimeout(
            () => this.stop('soft_limit', `soft time limit of ${timeouts.softMs} ms reached`),
            timeouts.softMs,
          )
        : null,
      timeouts?.hardMs
        ? setTimeout(
            () => this.stop('hard_limit', `hard time limit of ${timeouts.hardMs} ms reached`),
            timeouts.hardMs,
          )
        : null,
    ];
    const progress = new ProgressThrottle<Progress>(
      (p) => this.events.publish('job.progress', job, { attempt, progress: p }),
      this.opts.progressIntervalMs,
      (err) => this.log.warn({ err }, 'progress not published'),
    );
    try {
      await this.events.publish('job.started', job, { attempt, workerId: this.opts.workerId });
      const abandoned = new Promise<Outcome>(
        (resolve) => (this.abandon = () => resolve(this.stoppedOutcome(null))),
      );
      const outcome = await Promise.race([this.execute(progress), abandoned]);
      await progress.flush();
      return outcome;
    } finally {
      timers.forEach((t) => t && clearTimeout(t));
    }
  }

  private async execute(progress: ProgressThrottle<Progress>): Promise<Outcome> {
    const { msg } = this;
    try {
      const result = await this.handler.handle({
        jobId: msg.jobId,
        tenant: msg.tenant,
        type: msg.data.type,
        pool: msg.data.pool,
        attempt: msg.data.attempt,
        maxAttempts: msg.data.maxAttempts,
        payload: validatePayload(this.handler, msg.data.payload),
        signal: this.controller.signal,
        progress: (p) => progress.push(p),
      });
      // A handler that cleaned up after a soft limit and returned a result succeeded.
      if (this.reason && this.reason !== 'soft_limit') return this.stoppedOutcome(null);
      return { kind: 'succeeded', result: result ?? null };
    } catch (err) {
      if (this.reason) return this.stoppedOutcome(err);
      return { kind: 'failed', error: toJobError(err) };
    }
  }

  private stoppedOutcome(err: unknown): Outcome {
    switch (this.reason) {
      case 'cancel':
        return { kind: 'cancelled' };
      case 'shutdown':
        return { kind: 'handed_back' };
      case 'soft_limit':
      case 'hard_limit': {
        const limit = this.reason === 'soft_limit' ? 'soft' : 'hard';
        const ms =
          this.reason === 'soft_limit' ? this.msg.data.timeouts?.softMs : this.msg.data.timeouts?.hardMs;
        return {
          kind: 'failed',
          error: {
            code: ERROR_CODES.timedOut,
            message: `${limit} time limit of ${ms} ms reached`,
            retryable: false,
            details: { limit, ms },
          },
        };
      }
      case null:
        return { kind: 'failed', error: toJobError(err) };
    }
  }
}
