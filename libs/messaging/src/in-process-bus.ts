/**
 * In-process adapter of the bus port (embedded mode, fast tests). Mirrors the RabbitMQ semantics
 * services rely on: routing, prefetch, requeue at the head, quorum delivery limits, dead-lettering,
 * single active consumer, mandatory publishing. Deliveries are always asynchronous.
 */
import { randomUUID } from 'node:crypto';
import { DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, DEFAULT_DELIVERY_LIMIT } from '@jobplane/contracts';
import type {
  ConsumeOptions,
  DeclaredTopology,
  Delivery,
  ExchangeSpec,
  Headers,
  MessageBus,
  OutgoingMessage,
  QueueSpec,
  Subscription,
  Topology,
} from './message-bus';
import { bindingMatches } from './routing';
import { consoleLogger, errorMessage, type BusLogger } from './support';

type Handler = (delivery: Delivery) => Promise<void> | void;

interface Stored {
  body: Buffer;
  headers: Headers;
  exchange: string;
  routingKey: string;
  messageId?: string;
  /** Times handed back by a consumer (nack requeue or handler failure). */
  returns: number;
}

interface Consumer {
  handler: Handler;
  prefetch: number;
  unacked: number;
}

interface QueueState {
  spec: QueueSpec;
  ready: Stored[];
  /** Live consumers in subscription order; a cancelled one is removed. */
  consumers: Consumer[];
  next: number;
  unacked: number;
}

interface ExchangeState {
  kind: ExchangeSpec['kind'];
  bindings: { queue: string; routingKey: string }[];
}

export class InProcessBus implements MessageBus {
  private readonly exchanges = new Map<string, ExchangeState>();
  private readonly queues = new Map<string, QueueState>();
  private readonly log: BusLogger;
  private started = false;
  private closed = false;
  private scheduled = false;

  constructor(options: { logger?: BusLogger } = {}) {
    this.log = options.logger ?? consoleLogger;
  }

  async start(topology: Topology): Promise<void> {
    if (this.started) throw new Error('InProcessBus.start() may only be called once');
    this.assertOpen();
    this.started = true;
    this.apply({
      exchanges: [{ name: DEAD_LETTER_EXCHANGE, kind: 'fanout' }],
      queues: [{ name: DEAD_LETTER_QUEUE, bindings: [{ exchange: DEAD_LETTER_EXCHANGE, routingKey: '' }] }],
    });
    this.apply(topology);
  }

  async declare(topology: Topology): Promise<DeclaredTopology> {
    this.assertUsable();
    return this.apply(topology);
  }

  async publish(messages: OutgoingMessage[]): Promise<void> {
    this.assertUsable();
    // Route everything first: a bad message refuses the whole batch (AMQP refuses it alone).
    const routed = messages.map((m) => ({ m, targets: this.route(m.exchange, m.routingKey) }));
    for (const { m, targets } of routed) {
      if (targets.length === 0 && (m.mandatory ?? true))
        throw new Error(
          `Unroutable message: exchange '${m.exchange}', routing key '${m.routingKey}' (NO_ROUTE)`,
        );
    }
    for (const { m, targets } of routed) {
      for (const q of targets) {
        q.ready.push({
          body: Buffer.from(m.body),
          headers: { ...m.headers },
          exchange: m.exchange,
          routingKey: m.routingKey,
          messageId: m.messageId,
          returns: 0,
        });
      }
    }
    this.schedule();
  }

  async consume(queue: string, handler: Handler, options: ConsumeOptions): Promise<Subscription> {
    this.assertUsable();
    if (!Number.isInteger(options.prefetch) || options.prefetch < 1)
      throw new Error(`prefetch must be a positive integer, got ${options.prefetch}`);
    const q = this.queue(queue);
    const consumer: Consumer = { handler, prefetch: options.prefetch, unacked: 0 };
    q.consumers.push(consumer);
    this.schedule();
    return {
      cancel: async () => {
        const i = q.consumers.indexOf(consumer);
        if (i >= 0) q.consumers.splice(i, 1);
        this.schedule(); // a standby single-active consumer may take over
      },
    };
  }

  isConnected(): boolean {
    return this.started && !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Ready (not yet delivered) messages in a queue. */
  queueDepth(queue: string): number {
    return this.queue(queue).ready.length;
  }

  /** Delivered but not yet acked or nacked messages in a queue. */
  unackedCount(queue: string): number {
    return this.queue(queue).unacked;
  }

  private apply(topology: Topology): DeclaredTopology {
    for (const ex of topology.exchanges) {
      const existing = this.exchanges.get(ex.name);
      if (existing && existing.kind !== ex.kind)
        throw new Error(`Declaring exchange '${ex.name}' failed: exists with kind '${existing.kind}'`);
      if (!existing) this.exchanges.set(ex.name, { kind: ex.kind, bindings: [] });
    }
    const specs = topology.queues.map((q) =>
      q.name === '' && q.kind === 'exclusive' ? { ...q, name: `jobplane.exclusive.${randomUUID()}` } : q,
    );
    for (const spec of specs) {
      if (spec.name === '') throw new Error('Only exclusive queues may have a generated name');
      const existing = this.queues.get(spec.name);
      if (existing && !sameArguments(existing.spec, spec))
        throw new Error(
          `Declaring queue '${spec.name}' failed: exists with different arguments (PRECONDITION_FAILED)`,
        );
      if (!existing)
        this.queues.set(spec.name, {
          spec: { ...spec, bindings: undefined },
          ready: [],
          consumers: [],
          next: 0,
          unacked: 0,
        });
    }
    for (const spec of specs) {
      for (const b of spec.bindings ?? []) {
        const ex = this.exchanges.get(b.exchange);
        if (!ex)
          throw new Error(
            `Declaring binding to '${spec.name}' failed: no exchange '${b.exchange}' (NOT_FOUND)`,
          );
        if (!ex.bindings.some((x) => x.queue === spec.name && x.routingKey === b.routingKey))
          ex.bindings.push({ queue: spec.name, routingKey: b.routingKey });
      }
    }
    return { queues: specs.map((q) => q.name) };
  }

  /** Target queues, each once (a queue bound twice gets one copy, like RabbitMQ). */
  private route(exchange: string, routingKey: string): QueueState[] {
    if (exchange === '') {
      const q = this.queues.get(routingKey); // the default exchange routes by queue name
      return q ? [q] : [];
    }
    const ex = this.exchanges.get(exchange);
    if (!ex) throw new Error(`Unknown exchange '${exchange}' (NOT_FOUND)`);
    const names = new Set(
      ex.bindings.filter((b) => bindingMatches(ex.kind, b.routingKey, routingKey)).map((b) => b.queue),
    );
    return [...names].flatMap((n) => this.queues.get(n) ?? []);
  }

  /** Batches delivery on the next macrotask, so publishers never re-enter consumers. */
  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.closed) return;
    for (const q of this.queues.values()) {
      while (q.ready.length > 0) {
        const c = this.pick(q);
        const msg = c && q.ready.shift();
        if (!c || !msg) break;
        this.deliver(q, c, msg);
      }
    }
  }

  /** Round robin over consumers with prefetch room; single active consumer: only the first. */
  private pick(q: QueueState): Consumer | undefined {
    const n = q.spec.singleActiveConsumer ? Math.min(1, q.consumers.length) : q.consumers.length;
    for (let i = 0; i < n; i++) {
      const idx = (q.next + i) % n;
      const c = q.consumers[idx];
      if (c && c.unacked < c.prefetch) {
        q.next = (idx + 1) % Math.max(1, q.consumers.length);
        return c;
      }
    }
    return undefined;
  }

  private deliver(q: QueueState, c: Consumer, msg: Stored): void {
    c.unacked++;
    q.unacked++;
    const headers = { ...msg.headers };
    if (isQuorum(q.spec) && msg.returns > 0) headers['x-delivery-count'] = String(msg.returns); // as RabbitMQ does
    let settled = false;
    const settle = (outcome: 'ack' | 'requeue' | 'reject') => {
      if (settled || this.closed) return;
      settled = true;
      c.unacked--;
      q.unacked--;
      if (outcome === 'requeue') this.requeue(q, msg);
      else if (outcome === 'reject') this.deadLetter(q, msg, 'rejected');
      this.schedule();
    };
    const delivery: Delivery = {
      body: Buffer.from(msg.body), // a consumer mutating its copy cannot affect a redelivery
      headers,
      exchange: msg.exchange,
      routingKey: msg.routingKey,
      messageId: msg.messageId,
      redelivered: msg.returns > 0,
      deliveryCount: msg.returns + 1,
      ack: () => settle('ack'),
      nack: (requeue) => settle(requeue ? 'requeue' : 'reject'),
    };
    // A microtask per handler: a handler that nacks synchronously cannot spin the dispatch loop.
    queueMicrotask(() => this.invoke(q, c, delivery));
  }

  private invoke(q: QueueState, c: Consumer, delivery: Delivery): void {
    if (this.closed) return;
    const fail = (err: unknown) => {
      this.log.error(
        {
          queue: q.spec.name,
          messageId: delivery.messageId,
          deliveryCount: delivery.deliveryCount,
          err: errorMessage(err),
        },
        'message handler failed; requeueing',
      );
      delivery.nack(true);
    };
    try {
      Promise.resolve(c.handler(delivery)).catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  private requeue(q: QueueState, msg: Stored): void {
    msg.returns++;
    const limit = q.spec.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT;
    // RabbitMQ dead-letters once returns exceed the limit: limit N means N + 1 deliveries.
    if (isQuorum(q.spec) && msg.returns > limit) this.deadLetter(q, msg, 'delivery_limit');
    else q.ready.unshift(msg);
  }

  private deadLetter(q: QueueState, msg: Stored, reason: 'rejected' | 'delivery_limit'): void {
    // Exclusive (classic) queues and the dead-letter queue itself have no DLX: the message is dropped.
    if (!isQuorum(q.spec) || q.spec.name === DEAD_LETTER_QUEUE) return;
    const dlx = q.spec.deadLetterExchange ?? DEAD_LETTER_EXCHANGE;
    const headers: Headers = { ...msg.headers };
    headers['x-first-death-reason'] ??= reason;
    headers['x-first-death-queue'] ??= q.spec.name;
    headers['x-first-death-exchange'] ??= msg.exchange;
    let targets: QueueState[] = [];
    try {
      targets = this.route(dlx, msg.routingKey);
    } catch {
      // unknown DLX: RabbitMQ drops silently; we at least log below
    }
    if (targets.length === 0)
      this.log.warn({ queue: q.spec.name, deadLetterExchange: dlx, reason }, 'dead letter dropped: no route');
    for (const t of targets)
      t.ready.push({
        ...msg,
        body: Buffer.from(msg.body),
        headers: { ...headers },
        exchange: dlx,
        returns: 0,
      });
  }

  private queue(name: string): QueueState {
    const q = this.queues.get(name);
    if (!q) throw new Error(`No queue '${name}' (NOT_FOUND)`);
    return q;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('InProcessBus is closed');
  }

  private assertUsable(): void {
    this.assertOpen();
    if (!this.started) throw new Error('InProcessBus not started');
  }
}

function isQuorum(spec: QueueSpec): boolean {
  return (spec.kind ?? 'quorum') === 'quorum';
}

function sameArguments(a: QueueSpec, b: QueueSpec): boolean {
  return (
    (a.kind ?? 'quorum') === (b.kind ?? 'quorum') &&
    (a.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT) === (b.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT) &&
    Boolean(a.singleActiveConsumer) === Boolean(b.singleActiveConsumer) &&
    (a.messageTtlMs ?? 0) === (b.messageTtlMs ?? 0) &&
    (a.deadLetterExchange ?? DEAD_LETTER_EXCHANGE) === (b.deadLetterExchange ?? DEAD_LETTER_EXCHANGE)
  );
}
