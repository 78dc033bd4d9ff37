import { hostname } from 'node:os';
import {
  ClaimCause,
  CONTROL_EXCHANGE,
  createWorkerHeartbeat,
  ERROR_CODES,
  EVENTS_EXCHANGE,
  HEADER_REPUBLISHED,
  MessageOf,
  parseClaimReply,
  parseMessage,
  WORK_EXCHANGE,
  HandlerAnnouncement,
  WORKER_HEARTBEAT,
  workerControlQueue,
  workQueueName,
} from '@jobplane/contracts';
import type { Delivery, MessageBus, Subscription } from '@jobplane/messaging';
import { contextFrom, inSpan, SpanKind, SpanStatusCode, type Logger, type Span } from '@jobplane/telemetry';
import { AttemptClaimer, ClaimOutcome } from './attempt-claimer';
import { AttemptRunner, Outcome } from './attempt-runner';
import { EventPublisher } from './event-publisher';
import { HandlerRegistry } from './handler';
import { announcementsOf } from './handler-announcement';

export interface WorkerOptions {
  workerId?: string;
  pools: { pool: string; concurrency: number }[];
  /** On stop, how long in-flight attempts may run before they are handed back. */
  drainMs: number;
  /** After a cancel or the hard limit, how long a handler may take to stop before it is abandoned. */
  cancelGraceMs?: number;
  heartbeatMs?: number;
  progressIntervalMs?: number;
  /** Cancelled ids remembered so a dispatch that arrives after its cancel never starts. */
  cancelMemory?: number;
  /** Ack a delivery still running after this long (before the broker's consumer timeout redelivers it). */
  earlyAckMs?: number;
  version?: string;
  /** How long to wait for the scheduler's answer to an attempt claim before asking again later. */
  claimTimeoutMs?: number;
  /** After an unanswered claim, how long the delivery is held before it is requeued. */
  claimRetryMs?: number;
  /** Child entry of isolated handlers (tests running from sources point it at the built one). */
  isolateEntry?: string;
}

interface Running {
  runner: AttemptRunner;
  attempt: number;
  pool: string;
  delivery: Delivery;
  done: Promise<void>;
  /** The handler is over; the outcome is being published. */
  ended?: boolean;
}

/**
 * Consumes the work queues of its pools, runs one attempt per delivery and acks only after the
 * outcome message is confirmed by the broker. Announces itself with heartbeats. Never touches the
 * job registry.
 */
export class WorkerRuntime {
  readonly workerId: string;
  private readonly events: EventPublisher;
  private readonly claimer: AttemptClaimer;
  private readonly running = new Map<string, Running>();
  /** Cancelled jobs -> the last attempt the cancel covers (null: all; from a producer without upToAttempt). */
  private readonly cancelled = new Map<string, number | null>();
  private readonly startedAt = new Date().toISOString();
  private handlers: HandlerAnnouncement[] = [];
  private subscriptions: Subscription[] = [];
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private accepting = false;
  completed = 0;
  /** Told of every attempt this worker finished (type, pool, outcome) — metrics. */
  onFinished?: (type: string, pool: string, outcome: string) => void;
  /** Told of every attempt claim (granted, refused, unanswered) and dropped local duplicate — metrics. */
  onClaim?: (outcome: ClaimOutcome | 'duplicate') => void;

  constructor(
    private readonly bus: MessageBus,
    private readonly registry: HandlerRegistry,
    private readonly logger: Logger,
    private readonly options: WorkerOptions,
  ) {
    this.workerId = options.workerId ?? `${hostname()}-${process.pid}`;
    this.events = new EventPublisher(bus);
    this.claimer = new AttemptClaimer(bus, this.workerId, options.claimTimeoutMs ?? 10_000);
  }

  isAccepting(): boolean {
    return this.accepting;
  }

  inFlight(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    this.handlers = announcementsOf(this.registry);
    const controlQueue = workerControlQueue(this.workerId);
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
        {
          name: controlQueue,
          kind: 'exclusive' as const,
          bindings: [{ exchange: CONTROL_EXCHANGE, routingKey: '' }],
        },
      ],
    });
    this.subscriptions.push(
      await this.bus.consume(controlQueue, (d) => this.onControl(d), { prefetch: 100 }),
    );
    for (const { pool, concurrency } of this.options.pools) {
      this.subscriptions.push(
        await this.bus.consume(workQueueName(pool), (d) => this.onWork(d), { prefetch: concurrency }),
      );
    }
    this.accepting = true;
    await this.heartbeat();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatMs ?? 2_000);
    this.heartbeatTimer.unref();
    this.logger.info(
      { workerId: this.workerId, pools: this.options.pools, types: this.registry.types() },
      'worker consuming',
    );
  }

  /**
   * Graceful drain: stop taking work, let in-flight attempts finish within the drain period,
   * then stop the rest and hand them back to the queue (their attempt is not spent).
   */
  async stop(): Promise<void> {
    this.accepting = false;
    await Promise.all(this.subscriptions.map((s) => s.cancel().catch(() => undefined)));
    this.subscriptions = [];
    await this.heartbeat();
    const deadline = new Promise((r) => setTimeout(r, this.options.drainMs).unref());
    await Promise.race([Promise.all([...this.running.values()].map((r) => r.done)), deadline]);
    for (const [jobId, r] of this.running) {
      if (r.ended) continue;
      this.logger.warn({ jobId }, 'drain period over; handing the job back');
      r.runner.stop('shutdown', 'worker shutting down');
    }
    await Promise.all([...this.running.values()].map((r) => r.done));
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.heartbeat();
  }

  private async heartbeat(): Promise<void> {
    const beat = createWorkerHeartbeat(this.workerId, {
      host: hostname(),
      pid: process.pid,
      version: this.options.version ?? '0.1.0',
      pools: this.options.pools,
      running: [...this.running].map(([jobId, r]) => ({ jobId, attempt: r.attempt, pool: r.pool })),
      draining: !this.accepting,
      startedAt: this.startedAt,
      handlers: this.handlers,
    });
    await this.bus
      .publish([
        {
          exchange: EVENTS_EXCHANGE,
          routingKey: WORKER_HEARTBEAT,
          messageId: beat.id,
          body: Buffer.from(JSON.stringify(beat)),
        },
      ])
      .catch((err) => this.logger.warn({ err }, 'heartbeat not published'));
  }

  private onControl(delivery: Delivery): void {
    delivery.ack();
    const reply = parseClaimReply(delivery.body);
    if (reply.ok) return this.claimer.answered(reply.value);
    const parsed = parseMessage(delivery.body);
    if (!parsed.ok || parsed.message.type !== 'job.cancel') return;
    const { jobId, data } = parsed.message;
    const run = this.running.get(jobId);
    if (data.attempt !== undefined) {
      // One attempt abandoned by the scheduler (time limit, lost worker): stop it, keep the job.
      if (run?.attempt === data.attempt)
        run.runner.stop('hard_limit', data.reason ?? 'attempt abandoned by the scheduler');
      return;
    }
    this.rememberCancelled(jobId, data.upToAttempt ?? null);
    run?.runner.stop('cancel', data.reason ?? 'cancelled');
  }

  private async onWork(delivery: Delivery): Promise<void> {
    const parsed = parseMessage(delivery.body);
    if (!parsed.ok || parsed.message.type !== 'job.dispatch') {
      // Poison: dead-letter it for inspection instead of crashing or looping.
      this.logger.error(
        { error: parsed.ok ? `unexpected ${parsed.message.type}` : parsed.error },
        'malformed work message dead-lettered',
      );
      delivery.nack(false);
      return;
    }
    if (!this.accepting) {
      delivery.nack(true);
      return;
    }
    const msg = parsed.message;
    const cause = untrustedCause(delivery);
    if (cause && !(await this.claimed(msg, delivery, cause))) return;
    await inSpan(
      'worker.attempt',
      {
        kind: SpanKind.CONSUMER,
        parent: contextFrom(delivery.headers),
        attributes: {
          'jobplane.job.id': msg.jobId,
          'jobplane.tenant': msg.tenant,
          'jobplane.job.type': msg.data.type,
          'jobplane.job.pool': msg.data.pool,
          'jobplane.job.attempt': msg.data.attempt,
          'jobplane.worker.id': this.workerId,
        },
      },
      (span) => this.execute(msg, delivery, span),
    );
  }

  /**
   * A delivery that may not be its attempt's only run (redelivered after its worker died or handed
   * it back, or republished by a recovering outbox relay) runs only once the scheduler grants this
   * worker the attempt; otherwise it is dropped (refused) or requeued later (no answer), never run.
   */
  private async claimed(
    msg: MessageOf<'job.dispatch'>,
    delivery: Delivery,
    cause: ClaimCause,
  ): Promise<boolean> {
    const log = this.logger.child({ jobId: msg.jobId, attempt: msg.data.attempt, cause });
    const here = this.running.get(msg.jobId);
    if (here?.attempt === msg.data.attempt) {
      // Already running here: one run is enough. A redelivery means the channel of the first one
      // dropped (a broker restart), which makes its delivery dead: the run settles this one instead,
      // so an outcome that cannot be published still hands the attempt back (not acked and lost).
      this.onClaim?.('duplicate');
      if (cause === 'redelivered') {
        here.delivery = delivery;
        log.info('redelivery of an attempt running here adopted by the run');
      } else {
        log.info('republished dispatch of an attempt running here dropped');
        delivery.ack();
      }
      return false;
    }
    const { outcome, reason } = await this.claimer.claim(msg, cause);
    this.onClaim?.(outcome);
    if (outcome === 'granted') {
      if (this.accepting) return true;
      delivery.nack(true);
      return false;
    }
    if (outcome === 'refused') {
      log.info({ reason }, 'attempt claim refused; delivery dropped');
      delivery.ack();
      return false;
    }
    log.warn({ reason }, 'attempt claim unanswered; delivery requeued after a delay');
    setTimeout(() => delivery.nack(true), this.options.claimRetryMs ?? 2_000).unref();
    return false;
  }

  private async execute(msg: MessageOf<'job.dispatch'>, delivery: Delivery, span: Span): Promise<void> {
    const job = { jobId: msg.jobId, tenant: msg.tenant };
    const { attempt } = msg.data;
    const log = this.logger.child({ jobId: msg.jobId, tenant: msg.tenant, type: msg.data.type, attempt });
    const t0 = Date.now();
    let entry: Running | undefined;
    try {
      const upTo = this.cancelled.get(msg.jobId);
      if (upTo !== undefined && (upTo === null || attempt <= upTo)) {
        await this.events.publish('job.cancelled', job, { attempt, reason: 'cancelled before start' });
        return delivery.ack();
      }
      const handler = this.registry.get(msg.data.type);
      if (!handler) {
        const error = {
          code: ERROR_CODES.unknownJobType,
          message: `no handler for job type "${msg.data.type}" in pool "${msg.data.pool}"`,
          retryable: false,
        };
        await this.events.publish('job.failed', job, { attempt, error, durationMs: 0 });
        return delivery.ack();
      }
      const runner = new AttemptRunner(msg, handler, this.events, log, {
        workerId: this.workerId,
        graceMs: this.options.cancelGraceMs ?? 5_000,
        progressIntervalMs: this.options.progressIntervalMs ?? 250,
        ...(this.options.isolateEntry ? { isolateEntry: this.options.isolateEntry } : {}),
      });
      let finish!: () => void;
      // The run settles `entry.delivery`: a redelivery of this attempt may replace it (see claimed()).
      entry = {
        runner,
        attempt,
        pool: msg.data.pool,
        delivery,
        done: new Promise((r) => (finish = r)),
      };
      this.running.set(msg.jobId, entry);
      // A long job must not outlive the broker's delivery timeout unacked (the broker would close the
      // channel and redeliver it while it still runs): ack early, and let heartbeats guard it.
      const run = entry;
      const earlyAck = setTimeout(() => {
        log.info(
          { afterMs: this.options.earlyAckMs },
          'long job: delivery acknowledged early; the watchdog guards it now',
        );
        run.delivery.ack();
      }, this.options.earlyAckMs ?? 1_350_000);
      earlyAck.unref();
      let outcome: Outcome;
      try {
        outcome = await runner.run();
      } finally {
        clearTimeout(earlyAck);
        run.ended = true;
        finish();
      }
      span.setAttribute('jobplane.outcome', outcome.kind);
      if (outcome.kind === 'failed')
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message });
      if (outcome.kind === 'handed_back') return entry.delivery.nack(true);
      const durationMs = Date.now() - t0;
      if (outcome.kind === 'succeeded')
        await this.events.publish('job.succeeded', job, { attempt, result: outcome.result, durationMs });
      else if (outcome.kind === 'cancelled')
        await this.events.publish('job.cancelled', job, { attempt, reason: 'cancelled while running' });
      else {
        log.info({ error: outcome.error }, 'attempt failed');
        await this.events.publish('job.failed', job, { attempt, error: outcome.error, durationMs });
      }
      this.completed++;
      this.onFinished?.(msg.data.type, msg.data.pool, outcome.kind);
      entry.delivery.ack();
      // From receipt to confirmed outcome: the handler's time plus the worker's overhead.
      log.info(
        { outcome: outcome.kind, ms: Date.now() - t0, execution: handler.execution ?? 'inline' },
        'attempt finished',
      );
    } catch (err) {
      // The outcome could not be published: hand the delivery back so it is not lost.
      log.error({ err }, 'outcome not published; requeueing');
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'outcome not published' });
      (entry?.delivery ?? delivery).nack(true);
    } finally {
      // Listed until its outcome is out, so a redelivery meanwhile is adopted, not run again.
      if (entry && this.running.get(msg.jobId) === entry) this.running.delete(msg.jobId);
    }
  }

  private rememberCancelled(jobId: string, upToAttempt: number | null): void {
    this.cancelled.delete(jobId); // re-insert: newest last, so the oldest is forgotten first
    this.cancelled.set(jobId, upToAttempt);
    const max = this.options.cancelMemory ?? 10_000;
    if (this.cancelled.size > max) this.cancelled.delete(this.cancelled.keys().next().value!);
  }
}

/** Why a delivery must be claimed before it runs, or undefined for a first delivery. */
function untrustedCause(delivery: Delivery): ClaimCause | undefined {
  if (delivery.headers[HEADER_REPUBLISHED] === '1') return 'republished';
  return delivery.redelivered ? 'redelivered' : undefined;
}
