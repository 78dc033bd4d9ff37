import type { Logger } from '@jobplane/telemetry';
import type { AuditTrail } from './audit-trail';

const DAY_MS = 86_400_000;

/**
 * Purges audit records older than the retention (AUDIT_RETENTION_DAYS; 0 keeps them forever), leaving
 * checkpoints so the rest still verifies. Two replicas purging at once cannot both write a
 * checkpoint (primary key), so one of them simply fails that round.
 */
export class AuditRetention {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly trail: AuditTrail,
    private readonly logger: Logger,
    private readonly retentionDays: number,
    private readonly intervalMs = 3_600_000,
  ) {}

  start(): void {
    if (this.retentionDays <= 0) return;
    const tick = () => {
      this.purgeOnce()
        .catch((err) => this.logger.error({ err }, 'audit retention purge failed'))
        .finally(() => {
          this.timer = setTimeout(tick, this.intervalMs);
          this.timer.unref();
        });
    };
    this.timer = setTimeout(tick, 10_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  async purgeOnce(): Promise<number> {
    const cutoff = new Date(Date.now() - this.retentionDays * DAY_MS);
    const n = await this.trail.purge(cutoff);
    if (n > 0)
      this.logger.info({ purged: n, before: cutoff.toISOString() }, 'audit retention purge checkpointed');
    return n;
  }
}
