import { Database, undispatchedJobs } from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';
import type { Backlog } from './backlog.port';
import { backlogEntryOf } from './event-applier';
import type { KeyUnparker } from './key-unparker';

/**
 * Postgres is the truth and the backlog holds timers: on start and periodically, every queued job
 * due for a dispatch that the backlog does not hold (a lost `job.submitted`, a Redis flush, a crash
 * between commit and backlog update) is put back. Re-adding is idempotent, so replicas may overlap.
 */
export class BacklogReconciler {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  repaired = 0;

  constructor(
    private readonly db: Database,
    private readonly backlog: Backlog,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly unparker: KeyUnparker,
    /** Jobs younger than this are left to their `job.submitted` message. */
    private readonly graceMs = 5_000,
  ) {}

  start(): void {
    this.schedule(Math.min(1_000, this.intervalMs));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One pass over due queued jobs; returns how many entries it re-added. */
  async reconcile(): Promise<number> {
    let repaired = 0;
    let after: string | null = null;
    for (let page = 0; page < 200; page++) {
      const jobs = await this.db.transaction((tx) =>
        undispatchedJobs(tx, 1000, new Date(Date.now() - this.graceMs), after),
      );
      if (jobs.length === 0) break;
      const entries = jobs.map(backlogEntryOf);
      const held = await this.backlog.holds(entries);
      const missing = entries.filter((_, i) => !held[i]);
      if (missing.length > 0) await this.backlog.add(missing);
      repaired += missing.length;
      after = jobs[jobs.length - 1]!.id;
      if (jobs.length < 1000) break;
    }
    repaired += await this.unparker.unparkAll();
    this.repaired += repaired;
    return repaired;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.reconcile()
        .then(
          (n) =>
            n > 0 && this.logger.warn({ repaired: n }, 'reconciler put queued jobs back into the backlog'),
        )
        .catch((err) => this.logger.error({ err }, 'reconcile failed'))
        .finally(() => this.schedule(this.intervalMs));
    }, delay);
    this.timer.unref();
  }
}
