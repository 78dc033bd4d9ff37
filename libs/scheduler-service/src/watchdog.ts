import { ERROR_CODES, JobError } from '@jobplane/contracts';
import {
  adoptTraceContext,
  Database,
  enqueueOutbox,
  JobRecord,
  jobsOfLostWorkers,
  jobsPastHardLimit,
  OutboxMessage,
  OutboxRelay,
  Tx,
  WorkerStore,
} from '@jobplane/persistence';
import { contextFrom, inSpan, traceHeaders, type Logger } from '@jobplane/telemetry';
import type { Backlog, BacklogEntry } from './backlog.port';
import { EventApplier } from './event-applier';

export interface WatchdogOptions {
  intervalMs: number;
  lostAfterMs: number;
  /** Rows of workers offline (silent past lostAfterMs) for longer than this are deleted. */
  pruneAfterMs: number;
  defaultHardMs: number;
  graceMs: number;
}

/**
 * Recovers running jobs whose worker went silent (killed, partitioned, frozen) and times out jobs
 * past their hard limit when their worker did not. Acts only on the lease holder, and only while
 * heartbeats are flowing — a scheduler that hears nobody cannot tell dead workers from its own
 * deafness.
 */
export class Watchdog {
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt = Date.now();
  private lastPruneAt = 0;
  recovered = 0;
  timedOut = 0;

  constructor(
    private readonly db: Database,
    private readonly workers: WorkerStore,
    private readonly applier: EventApplier,
    private readonly backlog: Backlog,
    private readonly relay: OutboxRelay,
    private readonly isLeading: () => boolean,
    private readonly onReleased: () => void,
    private readonly logger: Logger,
    private readonly o: WatchdogOptions,
  ) {}

  start(): void {
    const tick = () => {
      this.check()
        .catch((err) => this.logger.error({ err }, 'watchdog check failed'))
        .finally(() => {
          this.timer = setTimeout(tick, this.o.intervalMs);
          this.timer.unref();
        });
    };
    this.timer = setTimeout(tick, this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  async check(): Promise<void> {
    if (!this.isLeading()) return;
    await this.timeOutOverdue();
    if (await this.hearingWorkers()) await this.recoverLost();
    await this.pruneOffline();
  }

  /** At most once a minute: forgets workers offline for longer than pruneAfterMs. */
  private async pruneOffline(): Promise<void> {
    if (Date.now() - this.lastPruneAt < Math.min(60_000, this.o.pruneAfterMs)) return;
    this.lastPruneAt = Date.now();
    const n = await this.workers.prune(this.o.lostAfterMs + this.o.pruneAfterMs);
    if (n > 0) this.logger.info({ workers: n }, 'pruned workers offline for too long');
  }

  private async hearingWorkers(): Promise<boolean> {
    if (Date.now() - this.startedAt < this.o.lostAfterMs) return false;
    const newest = await this.workers.newestHeartbeat();
    return newest !== null && Date.now() - newest.getTime() < this.o.lostAfterMs;
  }

  private async recoverLost(): Promise<void> {
    const n = await this.abandonEach(
      'worker_lost',
      (tx) => jobsOfLostWorkers(tx, this.o.lostAfterMs, 200),
      (job) => ({
        code: ERROR_CODES.workerLost,
        message: `worker ${job.workerId ?? '(unknown)'} stopped sending heartbeats`,
        retryable: true,
      }),
    );
    if (n > 0) this.logger.warn({ jobs: n }, 'recovered jobs of lost workers');
    this.recovered += n;
  }

  private async timeOutOverdue(): Promise<void> {
    const n = await this.abandonEach(
      'timed_out',
      (tx) => jobsPastHardLimit(tx, this.o.defaultHardMs, this.o.graceMs, 200),
      (job) => {
        const ms = (job.timeouts as { hardMs?: number } | null)?.hardMs ?? this.o.defaultHardMs;
        return {
          code: ERROR_CODES.timedOut,
          message: `hard time limit of ${ms} ms reached`,
          retryable: false,
          details: { limit: 'hard', ms },
        };
      },
    );
    if (n > 0) this.logger.warn({ jobs: n }, 'timed out jobs past their hard limit');
    this.timedOut += n;
  }

  private async abandonEach(
    reason: 'worker_lost' | 'timed_out',
    find: (tx: Tx) => Promise<JobRecord[]>,
    errorOf: (job: JobRecord) => JobError,
  ): Promise<number> {
    const outbox: OutboxMessage[] = [];
    const entries: BacklogEntry[] = [];
    const changed = await this.applier.transaction(this.db, async (tx) => {
      let n = 0;
      for (const job of await find(tx)) {
        // In the job's trace when it has one; else a root span the job adopts, so its retry is traced.
        const applied = await inSpan(
          'scheduler.watchdog',
          {
            parent: contextFrom(job.traceContext),
            attributes: {
              'jobplane.job.id': job.id,
              'jobplane.tenant': job.tenant,
              'jobplane.job.type': job.type,
              'jobplane.job.pool': job.pool,
              'jobplane.job.attempt': job.attempt,
              'jobplane.watchdog.reason': reason,
            },
          },
          async () =>
            this.applier.abandon(tx, await adoptTraceContext(tx, job, traceHeaders()), errorOf(job), outbox),
        );
        if (applied.backlog) entries.push(applied.backlog);
        if (applied.changed) n++;
      }
      this.applier.flushAuditInto(tx, outbox);
      await enqueueOutbox(tx, outbox);
      return n;
    });
    if (outbox.length > 0) this.relay.kick();
    if (entries.length > 0) await this.backlog.add(entries);
    if (changed > 0) this.onReleased();
    return changed;
  }
}
