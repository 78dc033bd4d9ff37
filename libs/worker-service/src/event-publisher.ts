import { createMessage, EVENTS_EXCHANGE, MessageData, MessageType } from '@jobplane/contracts';
import type { MessageBus } from '@jobplane/messaging';
import { traceHeaders } from '@jobplane/telemetry';

/** Publishes worker -> scheduler lifecycle messages, resolving once the broker confirmed them. */
export class EventPublisher {
  constructor(private readonly bus: MessageBus) {}

  async publish<T extends MessageType>(
    type: T,
    job: { jobId: string; tenant: string },
    data: MessageData<T>,
  ): Promise<void> {
    const message = createMessage(type, { jobId: job.jobId, tenant: job.tenant, data });
    await this.bus.publish([
      {
        exchange: EVENTS_EXCHANGE,
        routingKey: type,
        messageId: message.id,
        body: Buffer.from(JSON.stringify(message)),
        // The attempt's span: the scheduler's handling of this outcome joins the job's trace.
        headers: traceHeaders(),
      },
    ]);
  }
}

/**
 * Coalesces progress updates to at most one message per interval per job; the latest update is
 * never lost (it is flushed before the outcome).
 */
export class ProgressThrottle<T> {
  private pending: T | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastSent = 0;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (value: T) => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  push(value: T): void {
    this.pending = value;
    const wait = this.lastSent + this.intervalMs - Date.now();
    if (wait <= 0) this.fire();
    else this.timer ??= setTimeout(() => this.fire(), wait);
  }

  /** Sends what is pending now and waits for every send so far. */
  async flush(): Promise<void> {
    this.fire();
    await this.inFlight;
  }

  private fire(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending === null) return;
    const value = this.pending;
    this.pending = null;
    this.lastSent = Date.now();
    this.inFlight = this.inFlight.then(() => this.send(value)).catch(this.onError);
  }
}
