import { execFile } from 'node:child_process';

/** One reading of the broker's memory against its high watermark (`rabbitmqctl status`). */
export interface BrokerMemorySample {
  usedBytes: number;
  limitBytes: number;
  /** Resource alarms in force (a memory alarm blocks every publisher on the node). */
  alarms: string[];
}

/** Reads the local RabbitMQ node's memory and alarms (read-only; works without the management plugin). */
export function brokerMemory(ctl = 'rabbitmqctl', args: string[] = []): Promise<BrokerMemorySample> {
  return new Promise((resolve, reject) => {
    execFile(ctl, [...args, 'status', '--formatter', 'json'], { timeout: 30_000 }, (err, stdout) => {
      if (err) return reject(new Error(err.message));
      try {
        resolve(parseStatus(stdout));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

/** `rabbitmqctl status --formatter json`: memory by the node's own calculation strategy. */
export function parseStatus(json: string): BrokerMemorySample {
  const s = JSON.parse(json) as {
    alarms?: unknown[];
    memory?: { total?: Record<string, number> };
    vm_memory_calculation_strategy?: string;
    vm_memory_high_watermark_limit?: number;
  };
  const total = s.memory?.total ?? {};
  const strategy = s.vm_memory_calculation_strategy ?? 'rss';
  const used = total[strategy] ?? total.rss ?? total.allocated ?? total.erlang;
  if (typeof used !== 'number' || typeof s.vm_memory_high_watermark_limit !== 'number')
    throw new Error('rabbitmqctl status: no memory or watermark in its answer');
  return {
    usedBytes: used,
    limitBytes: s.vm_memory_high_watermark_limit,
    alarms: (s.alarms ?? []).map((a) => JSON.stringify(a)),
  };
}

/**
 * Samples the broker every `everyMs` until stopped: the peak fraction of its watermark and every
 * alarm seen. A failed reading (no rabbitmqctl, no rights) is kept as the error, not a violation.
 */
export class BrokerMemoryWatch {
  private timer: NodeJS.Timeout | null = null;
  private pending: Promise<void> = Promise.resolve();
  private stopped = false;
  peakFraction = 0;
  peakUsedMb = 0;
  limitMb = 0;
  samples = 0;
  readonly alarms = new Set<string>();
  error: string | null = null;

  constructor(
    private readonly read: () => Promise<BrokerMemorySample> = () => brokerMemory(),
    private readonly everyMs = 5_000,
  ) {}

  start(): void {
    const tick = () => {
      this.pending = this.sample().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.everyMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.pending;
    await this.sample(); // the state at the end counts too
  }

  private async sample(): Promise<void> {
    try {
      const s = await this.read();
      this.samples++;
      this.limitMb = Math.round(s.limitBytes / 1e6);
      this.peakUsedMb = Math.max(this.peakUsedMb, Math.round(s.usedBytes / 1e6));
      this.peakFraction = Math.max(this.peakFraction, s.usedBytes / s.limitBytes);
      for (const a of s.alarms) this.alarms.add(a);
    } catch (err) {
      this.error = (err as Error).message.split('\n')[0] ?? 'unknown';
    }
  }

  /** Any memory alarm seen: the broker would have blocked publishers (the storm's or anyone's). */
  get memoryAlarm(): boolean {
    return [...this.alarms].some((a) => /memory/i.test(a));
  }
}
