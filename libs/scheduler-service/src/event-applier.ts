import { ERROR_CODES, JobError, Message, MessageOf, sourcesOf, uuidv7 } from '@jobplane/contracts';
import {
  applyGuardedUpdate,
  applyGuardedUpdates,
  JobEventInput,
  JobRecord,
  Database,
  GuardedUpdate,
  keyInFlight,
  lockConcurrencyKey,
  attemptEnded,
  ATTEMPT_NOT_ENDED_SQL,
  lockJob,
  lockJobs,
  OutboxMessage,
  parkJob,
  pausePoolUntil,
  placeResult,
  storeResult,
  Tx,
} from '@jobplane/persistence';
import { contextFrom, inSpan, traceHeaders, tracingOn, withTraceContext } from '@jobplane/telemetry';
import type { BacklogEntry } from './backlog.port';
import { cancelCommand, dispatchMessage } from './dispatch';
import type { EventNotifier } from './event-notifier';
import { retryDelayMs } from './retry-policy';
import { TransitionAudit } from './transition-audit';

/** What applying one message decided, for the caller to act on after commit. */
export interface Applied {
  /** The update was applied (false: fenced out as late, duplicate or stale). */
  changed: boolean;
  /** A job to put in its pool's backlog (new, retrying, or handed back). */
  backlog?: BacklogEntry;
  /** A pool whose in-flight count went down (an outcome or a requeue). */
  released?: string;
  /** A new attempt was dispatched (counts against its pool's capacity). */
  dispatched?: boolean;
  /** Its concurrency key was full: the job waits outside the backlog until a slot frees. */
  parked?: boolean;
  /** A concurrency key whose in-flight count went down. */
  releasedKey?: { tenant: string; key: string; limit: number };
}

/** Per-key rate limits live with the conductor (in memory, on the lease holder). */
export interface KeyRateGates {
  waitMs(tenant: string, key: string, rate: { max: number; perMs: number }): number;
  took(tenant: string, key: string, rate: { max: number; perMs: number }): void;
}

/** A retry pending for a job with `runAt`, as a backlog entry. */
export function backlogEntryOf(job: JobRecord): BacklogEntry {
  return {
    jobId: job.id,
    tenant: job.tenant,
    attempt: job.attempt,
    pool: job.pool,
    priority: job.priority,
    notBefore: job.runAt,
    ...(job.traceContext ? { trace: job.traceContext } : {}),
  };
}

/** Default retry-after when a RateLimited error names none. */
const DEFAULT_RATE_LIMIT_PAUSE_MS = 1_000;

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
  /** Events recorded without a causing message, on their way to the audit trail. */
  private readonly audit = new TransitionAudit();

  constructor(
    private readonly defaultPoolCapacity = 100,
    private readonly now: () => Date = () => new Date(),
    /** Announces recorded events to live streams after commit (none: nobody is told). */
    private readonly notifier?: EventNotifier,
    /** RESULT_INLINE_MAX_BYTES: larger results go to the result store. */
    private readonly resultInlineMaxBytes = 65_536,
  ) {}

  /** Runs `fn` in a transaction; once it commits, the events recorded in it are announced. */
  transaction<T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.notifier ? this.notifier.transaction(db, fn) : db.transaction(fn);
  }

  /** Adds the audit message of the transitions `tx` decided itself; call right before its outbox insert. */
  flushAuditInto(tx: Tx, outbox: OutboxMessage[]): void {
    this.audit.flushInto(tx, outbox);
  }

  async apply(tx: Tx, m: Message, outbox: OutboxMessage[]): Promise<Applied> {
    switch (m.type) {
      case 'job.submitted':
        return this.submitted(tx, m, outbox);
      case 'job.cancel_requested':
        return this.cancelRequested(tx, m, outbox);
      case 'job.retry_requested':
        return this.retryRequested(tx, m);
      case 'job.started':
        return this.started(tx, m, outbox);
      case 'job.progress':
        return this.changed(
          this.record(tx, {
            jobId: m.jobId,
            fromStates: ['running'],
            attempt: m.data.attempt,
            set: { progress: m.data.progress },
            event: event(m, 'progress', m.data.attempt, m.data.progress),
          }),
        );
      case 'job.succeeded':
        return this.succeeded(tx, m);
      case 'job.failed':
        return this.failed(tx, m);
      case 'job.cancelled':
        if (await this.staleOutcome(tx, m.jobId, m.data.attempt)) return { changed: false };
        return this.released(
          this.record(tx, {
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

  /**
   * A worker's outcome of an attempt the scheduler already ended (a paused worker that was given up
   * as lost, say) while the job waits queued for its next attempt: it must not end the job.
   */
  private async staleOutcome(tx: Tx, jobId: string, attempt: number, locked?: JobRecord): Promise<boolean> {
    const job = locked ?? (await lockJob(tx, jobId));
    return job?.state === 'queued' && job.attempt === attempt && (await attemptEnded(tx, jobId, attempt));
  }

  /**
   * Applies messages in order, as `apply` would one by one, but with one statement per kind for the
   * hot ones (submitted, started, succeeded): consecutive such messages for different jobs form a
   * group applied in bulk; a second message for a job in the group, or any other kind, closes it.
   */
  async applyMany(tx: Tx, messages: Message[], outbox: OutboxMessage[]): Promise<Applied[]> {
    const results: Applied[] = new Array<Applied>(messages.length);
    let group: number[] = [];
    const inGroup = new Set<string>();
    const flush = async () => {
      const applied = await this.applyGroup(
        tx,
        group.map((i) => messages[i]!),
        outbox,
      );
      group.forEach((i, k) => (results[i] = applied[k]!));
      group = [];
      inGroup.clear();
    };
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (!this.bulkable(m)) {
        if (group.length > 0) await flush();
        results[i] = await this.apply(tx, m, outbox);
        continue;
      }
      if (inGroup.has(m.jobId)) await flush();
      group.push(i);
      inGroup.add(m.jobId);
    }
    if (group.length > 0) await flush();
    return results;
  }

  private bulkable(m: Message): boolean {
    if (m.type === 'job.submitted' || m.type === 'job.started') return true;
    return m.type === 'job.succeeded' && 'inline' in placeResult(m.data.result, this.resultInlineMaxBytes);
  }

  /** One group of `applyMany` (each message for a different job). */
  private async applyGroup(tx: Tx, ms: Message[], outbox: OutboxMessage[]): Promise<Applied[]> {
    const results: Applied[] = new Array<Applied>(ms.length);
    const of = <T extends Message['type']>(type: T) =>
      ms.flatMap((m, i) => (m.type === type ? [{ m: m as MessageOf<T>, i }] : []));
    const submitted = of('job.submitted');
    const locked = await lockJobs(
      tx,
      submitted.map(({ m }) => m.jobId),
    );
    for (const { m, i } of submitted)
      results[i] = await this.submittedLocked(tx, locked.get(m.jobId), m, outbox);

    const started = of('job.started');
    const runs = await this.recordMany(
      tx,
      started.map(({ m }) => ({
        jobId: m.jobId,
        fromStates: sourcesOf('running'),
        attempt: m.data.attempt,
        set: { state: 'running', startedAt: new Date(m.occurredAt), workerId: m.data.workerId },
        event: event(m, 'started', m.data.attempt, { workerId: m.data.workerId }),
      })),
      // A start of an attempt that already ended (a redelivery after the scheduler gave it up) is
      // left to the careful path, which stops that run instead of letting it take the job back.
      ATTEMPT_NOT_ENDED_SQL,
    );
    for (const [k, { m, i }] of started.entries()) {
      const job = runs[k];
      if (!job)
        results[i] = await this.started(tx, m, outbox); // redelivered or fenced: the careful path
      else {
        if (job.cancelRequestedAt) outbox.push(cancelCommand(job));
        results[i] = { changed: true };
      }
    }

    const succeeded = of('job.succeeded');
    const done = await this.recordMany(
      tx,
      succeeded.map(({ m }) => ({
        jobId: m.jobId,
        fromStates: sourcesOf('succeeded'),
        attempt: m.data.attempt,
        set: {
          state: 'succeeded',
          result: m.data.result ?? null,
          resultRef: null,
          error: null,
          finishedAt: new Date(m.occurredAt),
        },
        event: event(m, 'succeeded', m.data.attempt, { durationMs: m.data.durationMs }),
      })),
    );
    succeeded.forEach(({ i }, k) => {
      const job = done[k];
      results[i] = job ? { changed: true, released: job.pool, ...keyOf(job) } : { changed: false };
    });
    return results;
  }

  /** Small results stay on the job; a big one goes to the result store in the same transaction. */
  private async succeeded(tx: Tx, m: MessageOf<'job.succeeded'>): Promise<Applied> {
    const placed = placeResult(m.data.result, this.resultInlineMaxBytes);
    const job = await this.record(tx, {
      jobId: m.jobId,
      fromStates: sourcesOf('succeeded'),
      attempt: m.data.attempt,
      set: {
        state: 'succeeded',
        ...('inline' in placed
          ? { result: placed.inline, resultRef: null }
          : { result: null, resultRef: placed.ref }),
        error: null,
        finishedAt: new Date(m.occurredAt),
      },
      event: event(m, 'succeeded', m.data.attempt, {
        durationMs: m.data.durationMs,
        ...('ref' in placed ? { resultBytes: placed.ref.sizeBytes } : {}),
      }),
    });
    if (job && 'ref' in placed) {
      await storeResult(tx, {
        jobId: job.id,
        tenant: job.tenant,
        contentType: placed.ref.contentType,
        body: placed.body,
      });
    }
    return this.released(Promise.resolve(job));
  }

  private async submitted(tx: Tx, m: MessageOf<'job.submitted'>, outbox: OutboxMessage[]): Promise<Applied> {
    return this.submittedLocked(tx, (await lockJob(tx, m.jobId)) ?? undefined, m, outbox);
  }

  private async submittedLocked(
    tx: Tx,
    job: JobRecord | undefined,
    m: MessageOf<'job.submitted'>,
    outbox: OutboxMessage[],
  ): Promise<Applied> {
    if (!job || job.state !== 'queued' || job.attempt !== 0) return { changed: false };
    if (job.cancelRequestedAt) return this.cancelQueued(tx, job, m, outbox);
    // The api recorded seq 1 with the job; live streams hear of it first from here.
    this.notifier?.recorded(
      tx,
      job,
      {
        id: m.id,
        type: 'submitted',
        attempt: null,
        data: { pool: m.data.pool, priority: m.data.priority },
        occurredAt: new Date(m.occurredAt),
      },
      1,
    );
    return { changed: false, backlog: backlogEntryOf(job) };
  }

  /**
   * An operator re-queued a finished job (the api already moved the row to `queued` at this
   * attempt): back into its pool's backlog. A repeat, or a job that moved on since, changes nothing.
   */
  private async retryRequested(tx: Tx, m: MessageOf<'job.retry_requested'>): Promise<Applied> {
    const job = await lockJob(tx, m.jobId);
    if (!job || job.state !== 'queued' || job.attempt !== m.data.attempt || job.parked)
      return { changed: false };
    return { changed: false, backlog: backlogEntryOf(job) };
  }

  /**
   * Dispatches attempt `attempt + 1` if the job is queued at `attempt` and due. A job not due yet
   * comes back as a backlog entry.
   */
  async dispatchIfDue(
    tx: Tx,
    jobId: string,
    attempt: number,
    cause: Message | null,
    outbox: OutboxMessage[],
    keyGates?: KeyRateGates,
  ): Promise<Applied> {
    const job = await lockJob(tx, jobId);
    if (!job || job.state !== 'queued' || job.attempt !== attempt) return { changed: false };
    if (job.cancelRequestedAt) return this.cancelQueued(tx, job, cause, outbox);
    if (job.runAt && job.runAt > this.now()) return { changed: false, backlog: backlogEntryOf(job) };
    const c = job.concurrency;
    if (c) {
      await lockConcurrencyKey(tx, job.tenant, c.key);
      if ((await keyInFlight(tx, job.tenant, c.key)) >= c.limit) {
        await parkJob(tx, job.id);
        return { changed: false, parked: true };
      }
      const wait = c.rate && keyGates ? keyGates.waitMs(job.tenant, c.key, c.rate) : 0;
      if (wait > 0)
        return {
          changed: false,
          backlog: { ...backlogEntryOf(job), notBefore: new Date(this.now().getTime() + wait) },
        };
      if (c.rate) keyGates?.took(job.tenant, c.key, c.rate);
    }
    const next = attempt + 1;
    // The job's stored context parents the dispatch; else the one its backlog entry carried (active).
    return inSpan(
      'scheduler.dispatch',
      {
        ...(job.traceContext ? { parent: contextFrom(job.traceContext) } : {}),
        attributes: {
          'jobplane.job.id': job.id,
          'jobplane.tenant': job.tenant,
          'jobplane.job.type': job.type,
          'jobplane.job.pool': job.pool,
          'jobplane.job.attempt': next,
        },
      },
      () => this.dispatchAttempt(tx, job, next, outbox),
    );
  }

  /** Moves the job to attempt `next` and queues its work message (with the dispatch span's context). */
  private async dispatchAttempt(
    tx: Tx,
    job: JobRecord,
    next: number,
    outbox: OutboxMessage[],
  ): Promise<Applied> {
    const { id: jobId } = job;
    const attempt = next - 1;
    const dispatched = await this.recordDecided(tx, {
      jobId,
      fromStates: ['queued'],
      attempt,
      set: { attempt: next, runAt: null },
      event: {
        id: uuidv7(),
        type: 'dispatched',
        attempt: next,
        data: { pool: job.pool },
        occurredAt: this.now(),
      },
    });
    if (!dispatched) return { changed: false };
    outbox.push(dispatchMessage(dispatched, traceHeaders()));
    return { changed: true, dispatched: true };
  }

  /**
   * An attempt began. The same attempt starting again on another worker (the broker redelivered it
   * after its first worker died) takes the job over instead of being ignored, so the watchdog
   * follows the worker that really runs it.
   */
  private async started(tx: Tx, m: MessageOf<'job.started'>, outbox: OutboxMessage[]): Promise<Applied> {
    const { attempt, workerId } = m.data;
    if (await this.staleOutcome(tx, m.jobId, attempt)) {
      // A redelivery of an attempt the scheduler already gave up (its first worker was lost): the
      // job waits for its next attempt, so this run must stop instead of taking the job back.
      outbox.push(cancelCommand({ id: m.jobId, tenant: m.tenant }, 'attempt already abandoned', attempt));
      return { changed: false };
    }
    const job =
      (await this.record(tx, {
        jobId: m.jobId,
        fromStates: sourcesOf('running'),
        attempt,
        set: { state: 'running', startedAt: new Date(m.occurredAt), workerId },
        event: event(m, 'started', attempt, { workerId }),
      })) ??
      (await this.record(tx, {
        jobId: m.jobId,
        fromStates: ['running'],
        attempt,
        set: { startedAt: new Date(m.occurredAt), workerId },
        event: event(m, 'started', attempt, { workerId, redelivered: true }),
      }));
    // A cancel that raced the start: tell the worker now.
    if (job?.cancelRequestedAt) outbox.push(cancelCommand(job));
    if (!job) {
      // Cancelled while its dispatch waited in a queue (its worker down or restarting, so the
      // broadcast reached no one): the attempt that just began must stop, not run to the end.
      const current = await lockJob(tx, m.jobId);
      if (current?.state === 'cancelled' && current.attempt === attempt) outbox.push(cancelCommand(current));
    }
    return { changed: job !== null };
  }

  private async cancelRequested(
    tx: Tx,
    m: MessageOf<'job.cancel_requested'>,
    outbox: OutboxMessage[],
  ): Promise<Applied> {
    const job = await lockJob(tx, m.jobId);
    if (!job) return { changed: false };
    if (job.state === 'queued') return this.cancelQueued(tx, job, m, outbox);
    if (job.state !== 'running') return { changed: false };
    const recorded = await this.record(tx, {
      jobId: job.id,
      fromStates: ['running'],
      set: {},
      event: event(m, 'cancel_requested', job.attempt, { reason: m.data.reason ?? null }),
    });
    outbox.push(cancelCommand(job, m.data.reason));
    return { changed: recorded !== null };
  }

  private async cancelQueued(
    tx: Tx,
    job: JobRecord,
    cause: Message | null,
    outbox: OutboxMessage[],
  ): Promise<Applied> {
    const byRequest = cause?.type === 'job.cancel_requested';
    const cancelled = await this.recordOf(byRequest)(tx, {
      jobId: job.id,
      fromStates: ['queued'],
      set: { state: 'cancelled', finishedAt: this.now() },
      event: {
        id: byRequest ? cause.id : uuidv7(),
        type: 'cancelled',
        attempt: job.attempt || null,
        data: { reason: 'cancelled before it ran' },
        occurredAt: this.now(),
      },
    });
    // A dispatch may already sit in a work queue: make sure no worker starts it.
    if (cancelled && job.attempt > 0) outbox.push(cancelCommand(job));
    return {
      changed: cancelled !== null,
      ...(cancelled && job.attempt > 0 && !job.runAt ? { released: job.pool } : {}),
    };
  }

  private async failed(tx: Tx, m: MessageOf<'job.failed'>): Promise<Applied> {
    const job = await lockJob(tx, m.jobId);
    if (!job || job.attempt !== m.data.attempt) return { changed: false };
    if (await this.staleOutcome(tx, job.id, m.data.attempt, job)) return { changed: false };
    const { error, attempt } = m.data;
    if (error.code === ERROR_CODES.rateLimited && job.state === 'running' && !job.cancelRequestedAt) {
      return this.rateLimited(tx, job, m);
    }
    const timedOut = error.code === ERROR_CODES.timedOut;
    const retryable = timedOut
      ? Boolean((job.timeouts as { retryOnTimeout?: boolean } | null)?.retryOnTimeout)
      : error.retryable;
    const retry = retryable && job.state === 'running' && attempt < job.maxAttempts && !job.cancelRequestedAt;
    if (!retry) {
      const state = timedOut ? 'timeout' : 'failed';
      return this.released(
        this.record(tx, {
          jobId: job.id,
          fromStates: sourcesOf(state),
          attempt,
          set: { state, error, finishedAt: new Date(m.occurredAt) },
          event: event(m, state, attempt, { error, durationMs: m.data.durationMs }),
        }),
      );
    }
    return this.retry(tx, job, error, m);
  }

  /** running -> queued with backoff: the next attempt waits in the backlog until due. */
  async retry(
    tx: Tx,
    job: JobRecord,
    error: JobError,
    cause: Message | null,
    eventType = 'retrying',
  ): Promise<Applied> {
    const delayMs = retryDelayMs(job.attempt, job.backoff as never);
    const dueAt = new Date(this.now().getTime() + delayMs);
    const requeued = await this.recordOf(cause !== null)(tx, {
      jobId: job.id,
      fromStates: sourcesOf('queued'),
      attempt: job.attempt,
      set: { state: 'queued', error, runAt: dueAt },
      event: {
        id: cause?.id ?? uuidv7(),
        type: eventType,
        attempt: job.attempt,
        data: { error, delayMs, nextAttempt: job.attempt + 1 },
        occurredAt: cause ? new Date(cause.occurredAt) : this.now(),
      },
    });
    if (!requeued) return { changed: false };
    return { changed: true, backlog: backlogEntryOf(requeued), released: job.pool, ...keyOf(job) };
  }

  /** Ends a running attempt the scheduler gave up on (lost worker, hard limit): final state or retry. */
  async abandon(tx: Tx, job: JobRecord, error: JobError, outbox: OutboxMessage[]): Promise<Applied> {
    outbox.push(cancelCommand(job, error.message, job.attempt));
    const timedOut = error.code === ERROR_CODES.timedOut;
    const retryable = timedOut
      ? Boolean((job.timeouts as { retryOnTimeout?: boolean } | null)?.retryOnTimeout)
      : error.retryable;
    if (retryable && job.attempt < job.maxAttempts && !job.cancelRequestedAt) {
      return this.retry(tx, job, error, null, timedOut ? 'retrying' : 'worker_lost');
    }
    const state = timedOut ? 'timeout' : job.cancelRequestedAt ? 'cancelled' : 'failed';
    return this.released(
      this.recordDecided(tx, {
        jobId: job.id,
        fromStates: ['running'],
        attempt: job.attempt,
        set: { state, error, finishedAt: this.now() },
        event: { id: uuidv7(), type: state, attempt: job.attempt, data: { error }, occurredAt: this.now() },
      }),
    );
  }

  /**
   * The handler said its pool is rate limited: pause the pool's dispatch for `retryAfterMs` and put
   * the job back without spending an attempt (its max_attempts grows by one).
   */
  private async rateLimited(tx: Tx, job: JobRecord, m: MessageOf<'job.failed'>): Promise<Applied> {
    const after = Number(m.data.error.details?.retryAfterMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS);
    const until = new Date(this.now().getTime() + Math.max(0, Math.min(after, 86_400_000)));
    await pausePoolUntil(tx, job.pool, until, this.defaultPoolCapacity);
    const requeued = await this.record(tx, {
      jobId: job.id,
      fromStates: sourcesOf('queued'),
      attempt: job.attempt,
      set: { state: 'queued', runAt: until, maxAttempts: job.maxAttempts + 1 },
      event: event(m, 'rate_limited', job.attempt, { retryAfterMs: after, pausedUntil: until.toISOString() }),
    });
    if (!requeued) return { changed: false };
    return { changed: true, backlog: backlogEntryOf(requeued), released: job.pool };
  }

  /**
   * Dispatches a batch of taken entries as `dispatchIfDue` would one by one, but the plain ones
   * (queued at the entry's attempt, no run_at, no cancel request, no concurrency key) in a single
   * guarded update that checks all that itself; whatever it left alone, and everything while tracing
   * (a span each), goes the careful way, entry by entry.
   */
  async dispatchMany(
    tx: Tx,
    /** The pool all the entries were taken from (their jobs' pool). */
    pool: string,
    entries: { jobId: string; attempt: number; trace?: Record<string, string> | null }[],
    outbox: OutboxMessage[],
    keyGates?: KeyRateGates,
  ): Promise<Applied[]> {
    const results: Applied[] = new Array<Applied>(entries.length);
    const ids = new Set<string>();
    const bulk = tracingOn()
      ? []
      : entries.flatMap((e, i) => (ids.has(e.jobId) ? [] : (ids.add(e.jobId), [i])));
    const now = this.now();
    const moved = await this.recordManyDecided(
      tx,
      bulk.map((i) => {
        const { jobId, attempt } = entries[i]!;
        const event = {
          id: uuidv7(),
          type: 'dispatched',
          attempt: attempt + 1,
          data: { pool },
          occurredAt: now,
        };
        return { jobId, fromStates: ['queued'], attempt, set: { attempt: attempt + 1, runAt: null }, event };
      }),
      'j.run_at IS NULL AND j.cancel_requested_at IS NULL AND j.concurrency IS NULL AND NOT j.parked',
    );
    bulk.forEach((i, k) => {
      const job = moved[k];
      if (!job) return;
      outbox.push(dispatchMessage(job));
      results[i] = { changed: true, dispatched: true };
    });
    for (let i = 0; i < entries.length; i++) {
      if (results[i]) continue;
      const e = entries[i]!;
      results[i] = await withTraceContext(e.trace, () =>
        this.dispatchIfDue(tx, e.jobId, e.attempt, null, outbox, keyGates),
      );
    }
    return results;
  }

  /** Guarded updates of one shape in one statement, each applied event noted for the live streams. */
  private async recordMany(tx: Tx, us: GuardedUpdate[], alsoWhere?: string): Promise<(JobRecord | null)[]> {
    const jobs = await applyGuardedUpdates(tx, us, alsoWhere);
    jobs.forEach((job, k) => job && this.notifier?.recorded(tx, job, us[k]!.event));
    return jobs;
  }

  /** `recordMany` for events the scheduler decided itself (see `recordDecided`). */
  private async recordManyDecided(
    tx: Tx,
    us: GuardedUpdate[],
    alsoWhere?: string,
  ): Promise<(JobRecord | null)[]> {
    const jobs = await this.recordMany(tx, us, alsoWhere);
    jobs.forEach((job, k) => job && this.audit.recorded(tx, job, us[k]!.event));
    return jobs;
  }

  /** A guarded update whose event, when applied, is noted for the live streams. */
  private async record(tx: Tx, u: GuardedUpdate): Promise<JobRecord | null> {
    const job = await applyGuardedUpdate(tx, u);
    if (job) this.notifier?.recorded(tx, job, u.event);
    return job;
  }

  /**
   * A guarded update the scheduler decided without a causing message: no lifecycle message carries
   * it to the audit trail, so it is noted for the transaction's transitions message.
   */
  private async recordDecided(tx: Tx, u: GuardedUpdate): Promise<JobRecord | null> {
    const job = await this.record(tx, u);
    if (job) this.audit.recorded(tx, job, u.event);
    return job;
  }

  /** `record` for an event whose causing message the trail already holds, else `recordDecided`. */
  private recordOf(causedByMessage: boolean): (tx: Tx, u: GuardedUpdate) => Promise<JobRecord | null> {
    return causedByMessage ? (tx, u) => this.record(tx, u) : (tx, u) => this.recordDecided(tx, u);
  }

  private async changed(update: Promise<JobRecord | null>): Promise<Applied> {
    return { changed: (await update) !== null };
  }

  private async released(update: Promise<JobRecord | null>): Promise<Applied> {
    const job = await update;
    if (!job) return { changed: false };
    return { changed: true, released: job.pool, ...keyOf(job) };
  }
}

function keyOf(job: JobRecord): Pick<Applied, 'releasedKey'> {
  return job.concurrency
    ? { releasedKey: { tenant: job.tenant, key: job.concurrency.key, limit: job.concurrency.limit } }
    : {};
}
