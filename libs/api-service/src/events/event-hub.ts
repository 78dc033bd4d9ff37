import { JobEventNote, NOTIFY_EXCHANGE, parseEventNotification } from '@jobplane/contracts';
import type { MessageBus, Subscription } from '@jobplane/messaging';
import type { Logger } from '@jobplane/telemetry';
import { NoteQueue } from './note-queue';

/** Notes buffered per subscriber before it counts as overflowing (see NoteQueue). */
export const DEFAULT_SUBSCRIBER_CAPACITY = 1024;

/**
 * This replica's end of NOTIFY_EXCHANGE: a private (exclusive, auto-delete) queue bound to the
 * fanout, fanned out in process to subscribers by job id and by tenant. Deliveries are acked at
 * once: notifications are hints, the registry is the truth.
 */
export class EventHub {
  private readonly byJob = new Map<string, Set<NoteQueue>>();
  private readonly byTenant = new Map<string, Set<NoteQueue>>();
  private subscription: Subscription | undefined;
  /** Aborted on stop, so every open stream ends and the HTTP server can close. */
  private readonly stopping = new AbortController();
  received = 0;

  constructor(
    private readonly bus: MessageBus,
    private readonly logger: Logger,
    private readonly capacity = DEFAULT_SUBSCRIBER_CAPACITY,
  ) {}

  get shutdownSignal(): AbortSignal {
    return this.stopping.signal;
  }

  async start(): Promise<void> {
    const { queues } = await this.bus.declare({
      exchanges: [{ name: NOTIFY_EXCHANGE, kind: 'fanout' }],
      queues: [{ name: '', kind: 'exclusive', bindings: [{ exchange: NOTIFY_EXCHANGE, routingKey: '' }] }],
    });
    this.subscription = await this.bus.consume(
      queues[0]!,
      (d) => {
        d.ack();
        this.dispatch(d.body);
      },
      { prefetch: 512 },
    );
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.subscription?.cancel();
    this.subscription = undefined;
  }

  /** Live subscribers, for leak checks and metrics. */
  subscriberCount(): number {
    let n = 0;
    for (const set of this.byJob.values()) n += set.size;
    for (const set of this.byTenant.values()) n += set.size;
    return n;
  }

  /** Notes of one job from now on; call the returned function to unsubscribe. */
  subscribeJob(jobId: string): { queue: NoteQueue; close: () => void } {
    return this.add(this.byJob, jobId);
  }

  /** Notes of every job of `tenant` from now on. */
  subscribeTenant(tenant: string): { queue: NoteQueue; close: () => void } {
    return this.add(this.byTenant, tenant);
  }

  private dispatch(body: Buffer): void {
    const notification = parseEventNotification(body);
    if (!notification) {
      this.logger.warn({ bytes: body.length }, 'malformed event notification skipped');
      return;
    }
    for (const note of notification.events) this.deliver(note);
  }

  private deliver(note: JobEventNote): void {
    this.received++;
    for (const q of this.byJob.get(note.jobId) ?? []) q.push(note);
    for (const q of this.byTenant.get(note.tenant) ?? []) q.push(note);
  }

  private add(map: Map<string, Set<NoteQueue>>, key: string) {
    const queue = new NoteQueue(this.capacity);
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(queue);
    const close = () => {
      const current = map.get(key);
      if (!current?.delete(queue)) return;
      if (current.size === 0) map.delete(key);
    };
    return { queue, close };
  }
}
