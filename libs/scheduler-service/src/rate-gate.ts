/**
 * Spaces dispatches evenly: at most `max` per `perMs`, one every perMs/max, no burst (so "10/s"
 * means 50 jobs take 4.9 s, as users expect from a rate limit, not 4 s after a burst of 10).
 */
export class RateGate {
  private next = 0;

  /** Milliseconds until a dispatch is allowed (0 = now). */
  waitMs(rate: { max: number; perMs: number } | null, now = Date.now()): number {
    if (!rate) return 0;
    return Math.max(0, this.next - now);
  }

  /** Records a dispatch. */
  take(rate: { max: number; perMs: number } | null, now = Date.now()): void {
    if (!rate) return;
    this.next = Math.max(this.next, now) + rate.perMs / rate.max;
  }
}
