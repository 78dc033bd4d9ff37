import { Message, parseMessage, SCHEDULER_EVENTS_QUEUE } from '@jobplane/contracts';
import type { Delivery, MessageBus, Subscription } from '@jobplane/messaging';
import {
  Database,
  OutboxMessage,
  OutboxRelay,
  recordedEventIds,
  enqueueOutbox,
  isStoreUnavailable,
  Tx,
} from '@jobplane/persistence';
import { contextFrom, inSpan, SpanKind, tracingOn, type Logger } from '@jobplane/telemetry';
import type { BacklogEntry } from './backlog.port';
import type { InlineDispatch } from './conductor';
import { Applied, EventApplier } from './event-applier';

/** Messages whose application records a job event under the message's own id (so redelivery is detectable). */
const DEDUPED_BY_ID = new Set<Message['type']>([
  'job.started',
  'job.progress',
  'job.succeeded',
  'job.failed',
  'job.cancelled',
  'job.cancel_requested',
]);

interface Pending {
  delivery: Delivery;
  message: Message;
}

/**
 * Consumes lifecycle messages (single active consumer, so order holds across replicas) and applies
 * them in batches: one transaction per batch, acks after commit. A batch that fails is retried one
 * message at a time so one bad message cannot hold back the rest.
 */
export class SchedulerConsumer {
  private queue: Pending[] = [];
  private processing: Promise<void> | null = null;
  private subscription: Subscription | null = null;
  applied = 0;

  constructor(
    private readonly bus: MessageBus,
    private readonly db: Database,
    private readonly relay: OutboxRelay,
    private readonly applier: EventApplier,
    private readonly logger: Logger,
    /** After a batch commits: entries for the backlog, pools and concurrency keys with a freed slot. */
    private readonly afterCommit: (
      backlog: BacklogEntry[],
      released: Set<string>,
      keys: NonNullable<Applied['releasedKey']>[],
    ) => Promise<void>,
    private readonly batchSize = 256,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.consume(SCHEDULER_EVENTS_QUEUE, (d) => this.receive(d), {
      prefetch: this.batchSize * 2,
    });
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = null; // first: a batch waiting for the registry hands its messages back
    await subscription?.cancel();
    await this.processing;
  }

  private receive(delivery: Delivery): void {
    const parsed = parseMessage(delivery.body);
    if (!parsed.ok) {
      this.logger.error(
        { error: parsed.error, routingKey: delivery.routingKey },
        'malformed lifecycle message dead-lettered',
      );
      delivery.nack(false);
      return;
    }
    this.queue.push({ delivery, message: parsed.message });
    this.processing ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.batchSize);
        try {
          await this.applyBatch(batch);
        } catch (err) {
          if (await this.waitedOut(err, batch)) continue;
          this.logger.warn({ err, size: batch.length }, 'batch failed; applying one by one');
          for (let i = 0; i < batch.length; i++) {
            const failure = await this.applyOne(batch[i]!);
            if (failure !== undefined && (await this.waitedOut(failure, batch.slice(i)))) break;
          }
        }
      }
    } finally {
      this.processing = null;
    }
  }

  /**
   * The registry is down (a Postgres restart), not the messages bad: keep the batch, unacked and
   * first in line, and retry it after a pause. Requeueing would spend each message's delivery limit
   * within seconds and dead-letter outcomes the registry never saw (chaos findings 7 and 8).
   */
  private async waitedOut(err: unknown, batch: Pending[]): Promise<boolean> {
    if (!isStoreUnavailable(err) || !this.subscription) return false;
    this.logger.warn({ err, size: batch.length }, 'registry unavailable; batch kept and retried');
    this.queue.unshift(...batch);
    await new Promise((r) => setTimeout(r, this.unavailableRetryMs));
    if (this.subscription) return true;
    // Stopping: hand everything back to the broker instead of waiting for the registry.
    for (const { delivery } of this.queue.splice(0)) delivery.nack(true);
    return true;
  }

  /** Pause before retrying a batch while the registry is unavailable. */
  unavailableRetryMs = 1_000;

  /** Applies one message; an unavailable registry's error is returned (the message kept), not requeued. */
  private async applyOne(item: Pending): Promise<unknown> {
    try {
      await this.applyBatch([item]);
    } catch (err) {
      if (isStoreUnavailable(err) && this.subscription) return err;
      this.logger.error(
        {
          err,
          messageId: item.message.id,
          type: item.message.type,
          jobId: item.message.jobId,
          tenant: item.message.tenant,
        },
        'message not applied; requeued',
      );
      item.delivery.nack(true);
    }
  }

  /** Told the type and age (ms since it occurred) of every message once its batch committed. */
  onApplied?: (type: string, ageMs: number) => void;

  /** Dispatches, in the batch's transaction, the new entries that need not wait in the backlog. */
  dispatchInline?: (tx: Tx, entries: BacklogEntry[], outbox: OutboxMessage[]) => Promise<InlineDispatch>;

  private async applyBatch(batch: Pending[]): Promise<void> {
    const outbox: OutboxMessage[] = [];
    let backlog: BacklogEntry[] = [];
    const released = new Set<string>();
    const keys: NonNullable<Applied['releasedKey']>[] = [];
    let inline: InlineDispatch | null = null;
    await this.applier
      .transaction(this.db, async (tx) => {
        const ids = batch.filter((p) => DEDUPED_BY_ID.has(p.message.type)).map((p) => p.message.id);
        const seen = await recordedEventIds(tx, ids);
        const fresh = batch.filter((p) => !seen.has(p.message.id));
        const collect = (result: Applied) => {
          if (result.backlog) backlog.push(result.backlog);
          if (result.released) released.add(result.released);
          if (result.releasedKey) keys.push(result.releasedKey);
        };
        // Without tracing there is no span per message to keep: apply the batch with bulk statements.
        if (!tracingOn()) {
          const results = await this.applier.applyMany(
            tx,
            fresh.map((p) => p.message),
            outbox,
          );
          results.forEach(collect);
        } else
          for (const { message, delivery } of fresh) {
            const result = await inSpan(
              `scheduler.apply ${message.type}`,
              {
                kind: SpanKind.CONSUMER,
                parent: contextFrom(delivery.headers),
                attributes: { 'jobplane.job.id': message.jobId, 'jobplane.tenant': message.tenant },
              },
              () => this.applier.apply(tx, message, outbox),
            );
            collect(result);
          }
        if (this.dispatchInline && backlog.length > 0) {
          inline = await this.dispatchInline(tx, backlog, outbox);
          backlog = inline.queued;
        }
        this.applier.flushAuditInto(tx, outbox);
        await enqueueOutbox(tx, outbox);
      })
      .then(
        () => inline?.settle(true),
        (err: unknown) => {
          inline?.settle(false);
          throw err;
        },
      );
    for (const { delivery } of batch) delivery.ack();
    this.applied += batch.length;
    const now = Date.now();
    for (const { message } of batch) this.onApplied?.(message.type, now - Date.parse(message.occurredAt));
    if (outbox.length > 0) this.relay.kick();
    await this.afterCommit(backlog, released, keys).catch((err) =>
      // Postgres already holds the truth; the reconciler re-adds what the backlog missed.
      this.logger.error(
        { err, entries: backlog.length },
        'backlog update failed; the reconciler will repair it',
      ),
    );
  }
}
