import { ERROR_CODES, JobError, MessageOf, Progress } from '@jobplane/contracts';
import { inSpan, type Logger } from '@jobplane/telemetry';
import { EventPublisher, ProgressThrottle } from './event-publisher';
import { HandlerDefinition, JobContext, JobLog, LogLevel, toJobError, validatePayload } from './handler';
import { Isolate } from './isolation/isolate';

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
 * limit is abandoned once `graceMs` is over, so the outcome and the worker's slot never wait for it:
 * an isolated one (thread, process) is killed then; an inline one cannot be and runs on unobserved.
 */
export class AttemptRunner {
  private readonly controller = new AbortController();
  private reason: StopReason | null = null;
  private abandon: (() => void) | null = null;
  private isolate: Isolate | null = null;
  /** The job's own limits, field by field over the handler's defaults. */
  private readonly timeouts: { softMs?: number; hardMs?: number };

  constructor(
    private readonly msg: MessageOf<'job.dispatch'>,
    private readonly handler: HandlerDefinition,
    private readonly events: EventPublisher,
    private readonly log: Logger,
    private readonly opts: {
      workerId: string;
      graceMs: number;
      progressIntervalMs: number;
      heartbeatIntervalMs?: number;
      /** Child entry override for isolated execution (tests from sources). */
      isolateEntry?: string;
    },
  ) {
    this.timeouts = { ...handler.timeouts, ...msg.data.timeouts };
  }

  /**
   * Fires the handler's signal; after the grace the attempt ends without it. A soft limit only asks,
   * so a later hard limit, cancel or shutdown still takes over.
   */
  stop(reason: StopReason, message: string): void {
    if (this.reason && this.reason !== 'soft_limit') return;
    this.reason = reason;
    this.controller.abort(new Error(message));
    if (reason !== 'soft_limit') {
      setTimeout(() => {
        this.isolate?.kill();
        this.abandon?.();
      }, this.opts.graceMs).unref();
    }
  }

  async run(): Promise<Outcome> {
    const { msg } = this;
    const job = { jobId: msg.jobId, tenant: msg.tenant };
    const { attempt } = msg.data;
    const { timeouts } = this;
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
    const heartbeat = new ProgressThrottle<true>(
      () => this.events.publish('job.heartbeat', job, { attempt, workerId: this.opts.workerId }),
      this.opts.heartbeatIntervalMs ?? 1_000,
      (err) => this.log.warn({ err }, 'heartbeat not published'),
    );
    try {
      await this.events.publish('job.started', job, { attempt, workerId: this.opts.workerId });
      const abandoned = new Promise<Outcome>(
        (resolve) => (this.abandon = () => resolve(this.stoppedOutcome(null))),
      );
      const outcome = await Promise.race([this.execute(progress, heartbeat), abandoned]);
      await Promise.all([progress.flush(), heartbeat.flush()]);
      return outcome;
    } finally {
      timers.forEach((t) => t && clearTimeout(t));
      this.isolate?.kill();
    }
  }

  private async execute(
    progress: ProgressThrottle<Progress>,
    heartbeat: ProgressThrottle<true>,
  ): Promise<Outcome> {
    const { msg, handler } = this;
    const writeLog = (level: LogLevel, message: string, fields?: Record<string, unknown>) =>
      this.log[level]({ ...fields, from: 'handler' }, message);
    try {
      const job: HandlerJob = {
        jobId: msg.jobId,
        tenant: msg.tenant,
        type: msg.data.type,
        pool: msg.data.pool,
        attempt: msg.data.attempt,
        maxAttempts: msg.data.maxAttempts,
        payload: validatePayload(handler, msg.data.payload),
        labels: msg.data.labels ?? {},
      };
      const mode = handler.execution ?? 'inline';
      const attributes = {
        'jobplane.job.id': job.jobId,
        'jobplane.job.type': job.type,
        'jobplane.job.pool': job.pool,
        'jobplane.job.attempt': job.attempt,
        'jobplane.handler.execution': mode,
      };
      const result = await inSpan(`handler ${job.type}`, { attributes }, () =>
        this.runHandler(job, mode, progress, heartbeat, writeLog),
      );
      // A handler that cleaned up after a soft limit and returned a result succeeded.
      if (this.reason && this.reason !== 'soft_limit') return this.stoppedOutcome(null);
      return { kind: 'succeeded', result: result ?? null };
    } catch (err) {
      if (this.reason) return this.stoppedOutcome(err);
      return { kind: 'failed', error: toJobError(err) };
    }
  }

  /** The handler itself, inline or isolated; throws what it throws. */
  private async runHandler(
    job: HandlerJob,
    mode: NonNullable<HandlerDefinition['execution']>,
    progress: ProgressThrottle<Progress>,
    heartbeat: ProgressThrottle<true>,
    writeLog: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void,
  ): Promise<unknown> {
    const { handler } = this;
    if (mode === 'inline') {
      const ctx: JobContext = {
        ...job,
        signal: this.controller.signal,
        progress: (p) => progress.push(p),
        log: jobLog(writeLog),
        heartbeat: () => heartbeat.push(true),
      };
      return handler.handle(ctx);
    }
    const isolate = new Isolate(
      handler.module!,
      job,
      { progress: (p) => progress.push(p), log: writeLog, heartbeat: () => heartbeat.push(true) },
      {
        mode,
        ...(handler.memoryLimitMb ? { memoryLimitMb: handler.memoryLimitMb } : {}),
        ...(this.opts.isolateEntry ? { entry: this.opts.isolateEntry } : {}),
      },
    );
    this.isolate = isolate;
    // A stop that came before the isolate existed, or comes later: relay it.
    const relay = () => isolate.abort(String((this.controller.signal.reason as Error)?.message));
    if (this.controller.signal.aborted) relay();
    else this.controller.signal.addEventListener('abort', relay, { once: true });
    return isolate.result;
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
        const ms = this.reason === 'soft_limit' ? this.timeouts.softMs : this.timeouts.hardMs;
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

/** What a handler is told about its job (the context minus signal and callbacks). */
type HandlerJob = Omit<JobContext, 'signal' | 'progress' | 'log' | 'heartbeat'>;

function jobLog(write: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void): JobLog {
  const at = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) =>
    write(level, message, fields);
  return Object.assign(at('info'), { debug: at('debug'), warn: at('warn'), error: at('error') });
}
