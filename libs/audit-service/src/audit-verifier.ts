import type { Logger } from '@jobplane/telemetry';
import type { AuditTrail } from './audit-trail';

/**
 * Re-verifies every tenant's hash chain periodically (AUDIT_VERIFY_INTERVAL_SECONDS; 0 turns it off),
 * one tenant after another so it costs one sequential read of the trail per round. The result feeds
 * `jobplane_audit_chain_intact`: an edited or deleted record pages someone instead of waiting for
 * an auditor to ask.
 */
export class AuditVerifier {
  private timer: NodeJS.Timeout | null = null;
  /** Tenants whose chain failed the last round (empty: all intact, or not verified yet). */
  broken: string[] = [];
  /** When the last round finished (ms since epoch), 0 before the first. */
  verifiedAt = 0;

  constructor(
    private readonly trail: AuditTrail,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    const tick = () => {
      this.verifyAll()
        .catch((err) => this.logger.error({ err }, 'audit chain verification failed to run'))
        .finally(() => {
          this.timer = setTimeout(tick, this.intervalMs);
          this.timer.unref();
        });
    };
    this.timer = setTimeout(tick, Math.min(this.intervalMs, 10_000));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  async verifyAll(): Promise<string[]> {
    const broken: string[] = [];
    for (const tenant of await this.trail.tenants()) {
      const v = await this.trail.verify(tenant);
      if (!v.intact) {
        broken.push(tenant);
        this.logger.error({ tenant, brokenAt: v.brokenAt, reason: v.reason }, 'audit chain broken');
      }
    }
    this.broken = broken;
    this.verifiedAt = Date.now();
    return broken;
  }
}
