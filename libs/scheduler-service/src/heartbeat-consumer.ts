import { SCHEDULER_HEARTBEATS_QUEUE, WorkerHeartbeat, workerHeartbeatSchema } from '@jobplane/contracts';
import type { Delivery, MessageBus, Subscription } from '@jobplane/messaging';
import type { WorkerStore } from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';

/** Records worker heartbeats, batched: every replica may consume, the latest beat per worker wins. */
export class HeartbeatConsumer {
  private pending: { delivery: Delivery; beat: WorkerHeartbeat }[] = [];
  private processing: Promise<void> | null = null;
  private subscription: Subscription | null = null;

  constructor(
    private readonly bus: MessageBus,
    private readonly workers: WorkerStore,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.consume(SCHEDULER_HEARTBEATS_QUEUE, (d) => this.receive(d), {
      prefetch: 200,
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.cancel();
    await this.processing;
  }

  private receive(delivery: Delivery): void {
    let body: unknown;
    try {
      body = JSON.parse(delivery.body.toString());
    } catch {
      body = null;
    }
    const parsed = workerHeartbeatSchema.safeParse(body);
    if (!parsed.success) {
      this.logger.error({ error: parsed.error.message }, 'malformed heartbeat dead-lettered');
      return delivery.nack(false);
    }
    this.pending.push({ delivery, beat: parsed.data });
    this.processing ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, 200);
        try {
          await this.workers.record(batch.map((b) => b.beat));
          batch.forEach((b) => b.delivery.ack());
        } catch (err) {
          this.logger.error({ err }, 'heartbeats not recorded; requeued');
          batch.forEach((b) => b.delivery.nack(true));
        }
      }
    } finally {
      this.processing = null;
    }
  }
}
