import { Database, enqueueOutbox, OutboxMessage, OutboxRelay, undispatchedJobs } from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';
import { EventApplier } from './event-applier';

/**
 * Dispatches jobs that become due later (retry backoff, runAt) with in-process timers, and
 * periodically sweeps the registry for queued jobs whose dispatch never happened (a lost message,
 * a timer lost in a restart). Dispatch is guarded by attempt, so replicas doing the same sweep
 * cannot dispatch a job twice.
 */
export class DueDispatcher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly relay: OutboxRelay,
    private readonly applier: EventApplier,
    private readonly logger: Logger,
    private readonly sweepIntervalMs: number,
    /** Jobs younger than this are left to their `job.submitted` message. */
    private readonly graceMs = 5_000,
  ) {}

  start(): void {
    this.scheduleSweep(Math.min(1_000, this.sweepIntervalMs));
  }

  stop(): void {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.timers.forEach(clearTimeout);
    this.timers.clear();
  }

  at(due: { jobId: string; at: Date }): void {
    if (this.stopped) return;
    const delay = Math.max(0, due.at.getTime() - Date.now());
    if (delay > this.sweepIntervalMs) return; // the sweep will find it
    clearTimeout(this.timers.get(due.jobId));
    const timer = setTimeout(() => {
      this.timers.delete(due.jobId);
      this.dispatch([due.jobId]).catch((err) => this.logger.error({ err, jobId: due.jobId }, 'timed dispatch failed'));
    }, delay);
    timer.unref();
    this.timers.set(due.jobId, timer);
  }

  /** One sweep; returns how many jobs it dispatched. */
  async sweep(): Promise<number> {
    let dispatched = 0;
    for (let round = 0; round < 20; round++) {
      const jobs = await this.db.transaction((tx) => undispatchedJobs(tx, 500, new Date(Date.now() - this.graceMs)));
      if (jobs.length === 0) return dispatched;
      dispatched += await this.dispatch(jobs.map((j) => j.id));
      if (jobs.length < 500) return dispatched;
    }
    return dispatched;
  }

  private async dispatch(jobIds: string[]): Promise<number> {
    const outbox: OutboxMessage[] = [];
    await this.db.transaction(async (tx) => {
      for (const jobId of jobIds) {
        const [row] = await tx.query<{ attempt: number }>(`SELECT attempt FROM jobs WHERE id = $1`, [jobId]);
        if (row) await this.applier.dispatchIfDue(tx, jobId, Number(row.attempt), null, outbox);
      }
      await enqueueOutbox(tx, outbox);
    });
    if (outbox.length > 0) this.relay.kick();
    return outbox.filter((m) => m.routingKey !== '').length;
  }

  private scheduleSweep(delay: number): void {
    if (this.stopped) return;
    this.sweepTimer = setTimeout(() => {
      this.sweep()
        .then((n) => n > 0 && this.logger.info({ dispatched: n }, 'recovery sweep dispatched jobs'))
        .catch((err) => this.logger.error({ err }, 'recovery sweep failed'))
        .finally(() => this.scheduleSweep(this.sweepIntervalMs));
    }, delay);
    this.sweepTimer.unref();
  }
}
