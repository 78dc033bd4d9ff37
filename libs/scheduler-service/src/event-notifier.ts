import { JobEventNote, NOTIFY_EXCHANGE } from '@jobplane/contracts';
import type { MessageBus } from '@jobplane/messaging';
import type { Database, JobEventInput, JobRecord, Tx } from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';

/**
 * Announces recorded job events to the api replicas' live streams (NOTIFY_EXCHANGE). Events are
 * collected per transaction and published once it commits, as one message, without waiting for
 * the broker: the registry is the truth and streams re-read it on a gap, so a lost notification
 * costs latency, never an event — and the scheduler's hot path never waits on it.
 */
export class EventNotifier {
  private readonly open = new WeakMap<Tx, JobEventNote[]>();
  private readonly committed = new WeakMap<Tx, [JobRecord, JobEventInput][]>();
  private readonly observers: ((job: JobRecord, e: JobEventInput) => void)[] = [];

  constructor(
    private readonly bus: MessageBus | null,
    private readonly logger: Logger,
  ) {}

  /** Runs `fn` in a transaction; after it commits, publishes what `recorded` collected in it. */
  async transaction<T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const notes: JobEventNote[] = [];
    const applied: [JobRecord, JobEventInput][] = [];
    const result = await db.transaction(async (tx) => {
      this.open.set(tx, notes);
      this.committed.set(tx, applied);
      try {
        return await fn(tx);
      } finally {
        this.open.delete(tx);
        this.committed.delete(tx);
      }
    });
    this.publish(notes);
    for (const [job, e] of applied) for (const observe of this.observers) observe(job, e);
    return result;
  }

  /** Calls `fn` for every transition once its transaction committed (metrics). */
  observe(fn: (job: JobRecord, e: JobEventInput) => void): void {
    this.observers.push(fn);
  }

  /** Notes an event recorded in `tx` as seq `seq` of `job`; ignored outside `transaction`. */
  recorded(tx: Tx, job: JobRecord, e: JobEventInput, seq = job.lastSeq): void {
    this.committed.get(tx)?.push([job, e]);
    this.open.get(tx)?.push({
      jobId: job.id,
      seq,
      type: e.type,
      attempt: e.attempt,
      // The registry stores `data ?? {}` as jsonb; send the same value.
      data: e.data ?? {},
      occurredAt: e.occurredAt.toISOString(),
      tenant: job.tenant,
      jobType: job.type,
      pool: job.pool,
    });
  }

  private publish(events: JobEventNote[]): void {
    if (events.length === 0 || !this.bus) return;
    // While the broker is away, waiting to publish would only pile up stale notes: streams re-read.
    if (!this.bus.isConnected()) return;
    const body = Buffer.from(JSON.stringify({ events }));
    this.bus
      .publish([{ exchange: NOTIFY_EXCHANGE, routingKey: '', body, mandatory: false }])
      .catch((err: unknown) =>
        this.logger.warn({ err, events: events.length }, 'event notification not published (best-effort)'),
      );
  }
}
