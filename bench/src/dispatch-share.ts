/** Reads the scheduler's dispatch counters, to report how many dispatches took the single-hop path. */
export class DispatchShare {
  constructor(private readonly metricsUrl: string | undefined) {}

  /** Starts counting; the returned function gives the share dispatched inline since (null if unknown). */
  async start(): Promise<() => Promise<{ dispatched: number; inlineShare: number } | null>> {
    const before = await this.read();
    return async () => {
      const after = await this.read();
      if (!before || !after) return null;
      const dispatched = after.total - before.total;
      const inline = after.inline - before.inline;
      return {
        dispatched,
        inlineShare: dispatched > 0 ? Math.round((inline / dispatched) * 1000) / 1000 : 0,
      };
    };
  }

  private async read(): Promise<{ total: number; inline: number } | null> {
    if (!this.metricsUrl) return null;
    try {
      const text = await (await fetch(this.metricsUrl)).text();
      const value = (name: string) =>
        Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      const total = value('jobplane_dispatches_total');
      const inline = value('jobplane_dispatches_inline_total');
      return Number.isFinite(total) && Number.isFinite(inline) ? { total, inline } : null;
    } catch {
      return null;
    }
  }
}
