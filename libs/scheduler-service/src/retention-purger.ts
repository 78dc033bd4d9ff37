import { Database, purgeExpiredJobs } from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';

/** Runs the retention purge periodically on the lease holder; JOB_RETENTION_SECONDS = 0 disables it. */
export class RetentionPurger {
  private timer: NodeJS.Timeout | null = null;
  purged = 0;

  constructor(
    private readonly db: Database,
    private readonly isLeading: () => boolean,
    private readonly logger: Logger,
    private readonly retentionSeconds: number,
    private readonly intervalMs = 60_000,
  ) {}

  start(): void {
    if (this.retentionSeconds <= 0) return;
    const tick = () => {
      this.purgeOnce()
        .catch((err) => this.logger.error({ err }, 'retention purge failed'))
        .finally(() => {
          this.timer = setTimeout(tick, this.intervalMs);
          this.timer.unref();
        });
    };
    this.timer = setTimeout(tick, Math.min(5_000, this.intervalMs));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  async purgeOnce(): Promise<number> {
    if (!this.isLeading() || this.retentionSeconds <= 0) return 0;
    const n = await purgeExpiredJobs(this.db, this.retentionSeconds);
    if (n > 0)
      this.logger.info(
        { purged: n, retentionSeconds: this.retentionSeconds },
        'retention purge removed expired jobs',
      );
    this.purged += n;
    return n;
  }
}
