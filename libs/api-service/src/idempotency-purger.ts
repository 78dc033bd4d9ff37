import { Database, purgeExpiredIdempotencyKeys } from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';

/**
 * Deletes expired idempotency keys now and then (a submit already ignores them; this only keeps
 * the table small). Every replica may run it: the deletes are bounded and idempotent.
 */
export class IdempotencyPurger {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly intervalMs = 10 * 60_000,
  ) {}

  start(): void {
    const tick = () => {
      purgeExpiredIdempotencyKeys(this.db, new Date())
        .then((n) => n > 0 && this.logger.debug({ purged: n }, 'expired idempotency keys purged'))
        .catch((err: unknown) => this.logger.warn({ err }, 'idempotency key purge failed'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.intervalMs).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
