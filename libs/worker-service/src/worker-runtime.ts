import { hostname } from 'node:os';
import {
  CONTROL_EXCHANGE,
  ERROR_CODES,
  MessageOf,
  parseMessage,
  Progress,
  WORK_EXCHANGE,
  workQueueName,
} from '@jobplane/contracts';
import type { Delivery, MessageBus, Subscription } from '@jobplane/messaging';
import type { Logger } from '@jobplane/telemetry';
import { EventPublisher, ProgressThrottle } from './event-publisher';
import { HandlerRegistry, toJobError } from './handler';

export interface WorkerOptions {
  workerId?: string;
  pools: { pool: string; concurrency: number }[];
  /** On stop, how long in-flight attempts may run before they are handed back. */
  drainMs: number;
  progressIntervalMs?: number;
  /** Cancelled ids remembered so a dispatch that arrives after its cancel never starts. */
  cancelMemory?: number;
}

interface Running {
  controller: AbortController;
  cancelled: boolean;
  done: Promise<void>;
  delivery: Delivery;
}

/**
 * Consumes the work queues of its pools, runs one handler per delivery and acks only after the
 * outcome message is confirmed by the broker. Never touches the job registry.
 */
export class WorkerRuntime {
  readonly workerId: string;
  private readonly events: EventPublisher;
  private readonly running = new Map<string, Running>();
  private readonly cancelled = new Set<string>();
  private subscriptions: Subscription[] = [];
  private accepting = false;
  completed = 0;

  constructor(
    private readonly bus: MessageBus,
    private readonly registry: HandlerRegistry,
    private readonly logger: Logger,
    private readonly options: WorkerOptions,
  ) {
    this.workerId = options.workerId ?? `${hostname()}-${process.pid}`;
    this.events = new EventPublisher(bus);
  }

  isAccepting(): boolean {
    return this.accepting;
  }

  inFlight(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    const controlQueue = `jobplane.control.${this.workerId}`;
    await this.bus.declare({
      exchanges: [
        { name: WORK_EXCHANGE, kind: 'direct' },
        { name: CONTROL_EXCHANGE, kind: 'fanout' },
      ],
      queues: [
        ...this.options.pools.map((p) => ({
          name: workQueueName(p.pool),
          bindings: [{ exchange: WORK_EXCHANGE, routingKey: p.pool }],
        })),
        { name: controlQueue, kind: 'exclusive' as const, bindings: [{ exchange: CONTROL_EXCHANGE, routingKey: '' }] },
      ],
    });
    this.subscriptions.push(await this.bus.consume(controlQueue, (d) => this.onControl(d), { prefetch: 100 }));
    for (const { pool, concurrency } of this.options.pools) {
      this.subscriptions.push(
        await this.bus.consume(workQueueName(pool), (d) => this.onWork(d), { prefetch: concurrency }),
      );
    }
    this.accepting = true;
    this.logger.info({ workerId: this.workerId, pools: this.options.pools, types: this.registry.types() }, 'worker consuming');
  }

  /**
   * Graceful drain: stop taking work, let in-flight attempts finish within the drain period,
   * then abort the rest and hand them back to the queue (their attempt is not spent).
   */
  async stop(): Promise<void> {
    this.accepting = false;
    await Promise.all(this.subscriptions.map((s) => s.cancel().catch(() => undefined)));
    this.subscriptions = [];
    const deadline = new Promise((r) => setTimeout(r, this.options.drainMs).unref());
    await Promise.race([Promise.all([...this.running.values()].map((r) => r.done)), deadline]);
    for (const [jobId, r] of this.running) {
      this.logger.warn({ jobId }, 'drain period over; handing the job back');
      r.delivery.nack(true);
      r.controller.abort(new Error('worker shutting down'));
    }
    this.running.clear();
  }

  private onControl(delivery: Delivery): void {
    delivery.ack();
    const parsed = parseMessage(delivery.body);
    if (!parsed.ok || parsed.message.type !== 'job.cancel') return;
    const { jobId } = parsed.message;
    this.rememberCancelled(jobId);
    const run = this.running.get(jobId);
    if (run) {
      run.cancelled = true;
      run.controller.abort(new Error(parsed.message.data.reason ?? 'cancelled'));
    }
  }

  private async onWork(delivery: Delivery): Promise<void> {
    const parsed = parseMessage(delivery.body);
    if (!parsed.ok || parsed.message.type !== 'job.dispatch') {
      // Poison: dead-letter it for inspection instead of crashing or looping.
      this.logger.error({ error: parsed.ok ? `unexpected ${parsed.message.type}` : parsed.error }, 'malformed work message dead-lettered');
      delivery.nack(false);
      return;
    }
    if (!this.accepting) {
      delivery.nack(true);
      return;
    }
    await this.execute(parsed.message, delivery);
  }

  private async execute(msg: MessageOf<'job.dispatch'>, delivery: Delivery): Promise<void> {
    const job = { jobId: msg.jobId, tenant: msg.tenant };
    const { attempt } = msg.data;
    const log = this.logger.child({ jobId: msg.jobId, tenant: msg.tenant, type: msg.data.type, attempt });
    const started = Date.now();
    try {
      if (this.cancelled.has(msg.jobId)) {
        await this.events.publish('job.cancelled', job, { attempt, reason: 'cancelled before start' });
        return delivery.ack();
      }
      const handler = this.registry.get(msg.data.type);
      if (!handler) {
        const error = { code: ERROR_CODES.unknownJobType, message: `no handler for job type "${msg.data.type}" in pool "${msg.data.pool}"`, retryable: false };
        await this.events.publish('job.failed', job, { attempt, error, durationMs: 0 });
        return delivery.ack();
      }
      const controller = new AbortController();
      let resolveDone!: () => void;
      const run: Running = { controller, cancelled: false, delivery, done: new Promise((r) => (resolveDone = r)) };
      this.running.set(msg.jobId, run);
      const softTimer = msg.data.timeouts?.softMs
        ? setTimeout(() => controller.abort(new Error('soft time limit reached')), msg.data.timeouts.softMs)
        : null;
      const progress = new ProgressThrottle<Progress>(
        (p) => this.events.publish('job.progress', job, { attempt, progress: p }),
        this.options.progressIntervalMs ?? 250,
        (err) => log.warn({ err }, 'progress not published'),
      );
      try {
        await this.events.publish('job.started', job, { attempt, workerId: this.workerId });
        const result = await handler.handle({
          jobId: msg.jobId,
          tenant: msg.tenant,
          type: msg.data.type,
          pool: msg.data.pool,
          attempt,
          maxAttempts: msg.data.maxAttempts,
          payload: msg.data.payload,
          signal: controller.signal,
          progress: (p) => progress.push(p),
        });
        await progress.flush();
        if (!this.owns(msg.jobId, run)) return; // handed back during drain
        await this.events.publish('job.succeeded', job, { attempt, result: result ?? null, durationMs: Date.now() - started });
      } catch (err) {
        await progress.flush();
        if (!this.owns(msg.jobId, run)) return;
        if (run.cancelled) {
          await this.events.publish('job.cancelled', job, { attempt, reason: 'cancelled while running' });
        } else {
          const error = toJobError(err);
          log.info({ error }, 'handler failed');
          await this.events.publish('job.failed', job, { attempt, error, durationMs: Date.now() - started });
        }
      } finally {
        if (softTimer) clearTimeout(softTimer);
        if (this.running.get(msg.jobId) === run) this.running.delete(msg.jobId);
        resolveDone();
      }
      this.completed++;
      delivery.ack();
    } catch (err) {
      // The outcome could not be published: hand the delivery back so it is not lost.
      log.error({ err }, 'outcome not published; requeueing');
      this.running.delete(msg.jobId);
      delivery.nack(true);
    }
  }

  private owns(jobId: string, run: Running): boolean {
    return this.running.get(jobId) === run;
  }

  private rememberCancelled(jobId: string): void {
    this.cancelled.add(jobId);
    const max = this.options.cancelMemory ?? 10_000;
    if (this.cancelled.size > max) this.cancelled.delete(this.cancelled.values().next().value!);
  }
}
