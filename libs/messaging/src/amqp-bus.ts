/** RabbitMQ adapter of the bus port (distributed mode). Hand-rolled recovery: see `reconnect`. */
import { EventEmitter } from 'node:events';
import * as amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import type { ConsumeOptions, DeclaredTopology, MessageBus, OutgoingMessage, Subscription, Topology } from './message-bus';
import { AmqpConsumer, type Handler } from './amqp-consumer';
import { ConfirmPublisher } from './amqp-publisher';
import { TopologyRegistry, deadLetterTopology, declareTopology, resolveQueueNames, withChannel } from './amqp-topology';
import { backoffDelay, consoleLogger, errorMessage, onceOrTimeout, redactUrl, sleep, type BusLogger } from './support';

export interface AmqpBusOptions {
  url: string;
  /** Shown in the RabbitMQ management UI / `rabbitmqctl list_connections client_properties`. */
  connectionName?: string;
  logger?: BusLogger;
  /** `start()` gives up connecting after this long (default 30 s). */
  connectTimeoutMs?: number;
  /** Longest publish/declare/consume waits for a reconnect plus broker confirms (default 15 s). */
  publishTimeoutMs?: number;
  /** Reconnect backoff bounds (defaults 100 ms doubling up to 5 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/** One broker connection; `alive` turns false on close and never back. */
interface Conn {
  model: ChannelModel;
  alive: boolean;
  publisher?: ConfirmPublisher;
  publisherOpening?: Promise<ConfirmPublisher>;
  /** Exchanges verified to exist, so a bad name fails fast instead of killing the publisher channel. */
  checkedExchanges: Set<string>;
}

/** Declaration refused while the connection stayed up (e.g. inequivalent queue arguments). */
class TopologyError extends Error {}

export class AmqpBus implements MessageBus {
  private readonly log: BusLogger;
  private readonly name: string;
  private readonly connectTimeoutMs: number;
  private readonly publishTimeoutMs: number;
  private readonly backoff: (attempt: number) => number;
  private readonly topology = new TopologyRegistry();
  private readonly consumers = new Set<AmqpConsumer>();
  private readonly publishing = new Set<Promise<void>>();
  /** Emits 'change' whenever `conn` changes or the bus starts closing; waiters re-check state. */
  private readonly state = new EventEmitter();
  private readonly abort = new AbortController();
  private conn: Conn | undefined;
  private started = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  /** The (re)connect in progress, awaited by close() so no socket outlives the bus. */
  private connecting: Promise<unknown> | undefined;

  constructor(private readonly options: AmqpBusOptions) {
    this.log = options.logger ?? consoleLogger;
    this.name = options.connectionName ?? 'jobplane';
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 15_000;
    const initial = options.initialBackoffMs ?? 100;
    const max = options.maxBackoffMs ?? 5_000;
    this.backoff = (attempt) => backoffDelay(attempt, initial, max);
    this.state.setMaxListeners(0); // one listener per waiting publish is expected
  }

  get connectionName(): string {
    return this.name;
  }

  isConnected(): boolean {
    return !this.closing && this.conn?.alive === true;
  }

  async start(topology: Topology): Promise<void> {
    if (this.started) throw new Error('AmqpBus.start() may only be called once');
    this.started = true;
    const resolved = resolveQueueNames(topology);
    this.topology.record({ exchanges: [...deadLetterTopology.exchanges, ...resolved.exchanges], queues: [...deadLetterTopology.queues, ...resolved.queues] });
    const task = this.connectUntil(Date.now() + this.connectTimeoutMs);
    this.connecting = task;
    let conn: Conn;
    try {
      conn = await task;
    } catch (err) {
      this.connecting = undefined;
      await this.close();
      throw err;
    }
    this.connecting = undefined; // before activate: a reconnect must not see a start in progress
    if (!this.activate(conn)) void this.reconnect();
  }

  async declare(topology: Topology): Promise<DeclaredTopology> {
    const resolved = resolveQueueNames(topology);
    const deadline = Date.now() + this.publishTimeoutMs;
    for (;;) {
      const conn = await this.waitForConnection(deadline, 'declare topology');
      try {
        await withChannel(conn.model, (ch) => declareTopology(ch, resolved));
      } catch (err) {
        if (conn.alive) throw err;
        continue; // connection lost mid-way: declare again on the next one
      }
      // Recorded while `conn` is alive means any later reconnect replays it.
      this.topology.record(resolved);
      if (conn.alive) return { queues: resolved.queues.map((q) => q.name) };
    }
  }

  async publish(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const task = this.publishUntilConfirmed(messages, Date.now() + this.publishTimeoutMs);
    this.publishing.add(task);
    try {
      await task;
    } finally {
      this.publishing.delete(task);
    }
  }

  async consume(queue: string, handler: Handler, options: ConsumeOptions): Promise<Subscription> {
    if (!Number.isInteger(options.prefetch) || options.prefetch < 1) throw new Error(`prefetch must be a positive integer, got ${options.prefetch}`);
    const consumer = new AmqpConsumer(queue, handler, options, this.log, (c) => this.keepConsuming(c));
    const deadline = Date.now() + this.publishTimeoutMs;
    for (;;) {
      const conn = await this.waitForConnection(deadline, `consume '${queue}'`);
      try {
        await consumer.attach(conn.model);
        break;
      } catch (err) {
        if (conn.alive) throw new Error(`Consuming from '${queue}' failed: ${errorMessage(err)}`, { cause: err });
      }
    }
    this.consumers.add(consumer);
    return {
      cancel: async () => {
        this.consumers.delete(consumer);
        await consumer.cancel();
      },
    };
  }

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  /** Test hook: destroys the socket the way a network failure would. */
  destroySocketForTests(): void {
    const connection = this.conn?.model.connection as { stream?: { destroy(err?: Error): void } } | undefined;
    connection?.stream?.destroy(new Error('socket destroyed by test hook'));
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    this.abort.abort(); // stops backoff sleeps
    this.state.emit('change'); // wakes publishes waiting for a reconnect: they reject
    await Promise.allSettled([...this.consumers].map((c) => c.cancel()));
    await Promise.allSettled([...this.publishing]);
    await Promise.allSettled([...this.consumers].map((c) => c.close()));
    this.consumers.clear();
    await this.connecting?.catch(() => undefined);
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await this.dispose(conn);
    if (this.started) this.log.info({ connection: this.name }, 'amqp bus closed');
  }

  private async publishUntilConfirmed(messages: OutgoingMessage[], deadline: number): Promise<void> {
    let pending = messages;
    for (;;) {
      const conn = await this.waitForConnection(deadline, 'publish');
      let publisher: ConfirmPublisher;
      try {
        await this.checkExchanges(conn, pending);
        publisher = await this.publisherFor(conn);
      } catch (err) {
        if (conn.alive) throw err;
        continue;
      }
      const outcomes = await this.beforeDeadline(publisher.send(pending), deadline, 'broker confirms');
      for (const o of outcomes) if (o.kind === 'refused') throw o.error;
      pending = pending.filter((_, i) => outcomes[i]?.kind === 'lost');
      if (pending.length === 0) return;
      if (conn.alive && publisher.closeError) {
        conn.checkedExchanges.clear();
        throw new Error(`Publish failed: ${publisher.closeError.message}`, { cause: publisher.closeError });
      }
      this.log.warn({ count: pending.length }, 'amqp channel lost before confirms; republishing (at-least-once)');
    }
  }

  private async checkExchanges(conn: Conn, messages: OutgoingMessage[]): Promise<void> {
    for (const name of new Set(messages.map((m) => m.exchange))) {
      if (name === '' || this.topology.hasExchange(name) || conn.checkedExchanges.has(name)) continue;
      try {
        await withChannel(conn.model, (ch) => ch.checkExchange(name));
      } catch (err) {
        if (!conn.alive) throw err;
        throw new Error(`Unknown exchange '${name}': ${errorMessage(err)}`, { cause: err });
      }
      conn.checkedExchanges.add(name);
    }
  }

  private publisherFor(conn: Conn): Promise<ConfirmPublisher> {
    if (conn.publisher?.isOpen) return Promise.resolve(conn.publisher);
    conn.publisherOpening ??= (async () => {
      try {
        conn.publisher = new ConfirmPublisher(await conn.model.createConfirmChannel(), this.log);
        return conn.publisher;
      } finally {
        conn.publisherOpening = undefined;
      }
    })();
    return conn.publisherOpening;
  }

  private async beforeDeadline<T>(task: Promise<T>, deadline: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${this.publishTimeoutMs} ms waiting for ${what}`)), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([task, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async waitForConnection(deadline: number, what: string): Promise<Conn> {
    if (!this.started) throw new Error(`AmqpBus not started; cannot ${what}`);
    for (;;) {
      if (this.closing) throw new Error(`AmqpBus is closed; cannot ${what}`);
      if (this.conn?.alive) return this.conn;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out after ${this.publishTimeoutMs} ms waiting for the RabbitMQ connection to ${what}`);
      await onceOrTimeout(this.state, 'change', left);
    }
  }

  /** Initial connection: retries with backoff until `deadline`, but not on topology errors. */
  private async connectUntil(deadline: number): Promise<Conn> {
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.establish();
      } catch (err) {
        if (err instanceof TopologyError || this.closing) throw err;
        lastError = err;
      }
      const wait = this.backoff(attempt);
      if (Date.now() + wait >= deadline) break;
      this.log.warn({ url: redactUrl(this.options.url), attempt: attempt + 1, delayMs: wait, err: errorMessage(lastError) }, 'amqp connect failed; retrying');
      if (!(await sleep(wait, this.abort.signal))) throw new Error('AmqpBus closed while connecting');
    }
    throw new Error(`Could not connect to RabbitMQ at ${redactUrl(this.options.url)} within ${this.connectTimeoutMs} ms: ${errorMessage(lastError)}`, { cause: lastError });
  }

  /** After an unexpected close: retries forever (until close()), replaying topology and consumers. */
  private async reconnect(): Promise<void> {
    if (this.connecting || this.closing) return;
    const task = (async () => {
      for (let attempt = 0; ; attempt++) {
        const wait = this.backoff(attempt);
        this.log.info({ connection: this.name, attempt: attempt + 1, delayMs: wait }, 'amqp reconnecting');
        if (!(await sleep(wait, this.abort.signal))) return;
        try {
          if (this.activate(await this.establish())) {
            this.log.info({ connection: this.name, url: redactUrl(this.options.url) }, 'amqp reconnected');
            return;
          }
          if (this.closing) return;
        } catch (err) {
          const level = err instanceof TopologyError ? 'error' : 'warn';
          this.log[level]({ connection: this.name, attempt: attempt + 1, err: errorMessage(err) }, 'amqp reconnect attempt failed');
        }
      }
    })();
    this.connecting = task;
    try {
      await task;
    } finally {
      this.connecting = undefined;
    }
  }

  /** One attempt: connect, open the publisher, declare everything so far, re-attach consumers. */
  private async establish(): Promise<Conn> {
    const conn = await this.open();
    try {
      conn.publisher = new ConfirmPublisher(await conn.model.createConfirmChannel(), this.log);
      try {
        await withChannel(conn.model, (ch) => declareTopology(ch, this.topology.snapshot()));
      } catch (err) {
        throw conn.alive ? new TopologyError(errorMessage(err), { cause: err }) : err;
      }
      const active = [...this.consumers].filter((c) => !c.cancelled);
      const results = await Promise.allSettled(active.map((c) => c.attach(conn.model)));
      results.forEach((r, i) => {
        const consumer = active[i];
        if (r.status === 'rejected' && consumer) {
          this.log.warn({ queue: consumer.queue, err: errorMessage(r.reason) }, 'amqp consumer could not resume; retrying');
          this.keepConsuming(consumer);
        }
      });
      if (!conn.alive) throw new Error('connection closed during setup');
      return conn;
    } catch (err) {
      await this.dispose(conn);
      throw err;
    }
  }

  private async open(): Promise<Conn> {
    const model = await amqp.connect(this.options.url, {
      clientProperties: { connection_name: this.name },
      timeout: Math.min(10_000, this.connectTimeoutMs), // bounds a TCP connect that never answers
    });
    const conn: Conn = { model, alive: true, checkedExchanges: new Set() };
    model.on('error', (err: Error) => this.log.warn({ connection: this.name, err: errorMessage(err) }, 'amqp connection error'));
    model.on('blocked', (reason: string) => this.log.warn({ connection: this.name, reason }, 'amqp connection blocked by broker'));
    model.on('unblocked', () => this.log.info({ connection: this.name }, 'amqp connection unblocked'));
    model.on('close', (err?: Error) => {
      conn.alive = false;
      if (this.conn !== conn) return;
      this.conn = undefined;
      this.state.emit('change');
      if (this.closing) return;
      this.log.warn({ connection: this.name, err: err ? errorMessage(err) : undefined }, 'amqp connection lost');
      void this.reconnect();
    });
    return conn;
  }

  /** Makes `conn` current; false (and the connection is dropped) if it died or the bus closed. */
  private activate(conn: Conn): boolean {
    if (this.closing || !conn.alive) {
      void this.dispose(conn);
      return false;
    }
    this.conn = conn;
    this.log.info({ connection: this.name, url: redactUrl(this.options.url) }, 'amqp connected');
    this.state.emit('change');
    return true;
  }

  private async dispose(conn: Conn): Promise<void> {
    if (!conn.alive) return;
    await conn.publisher?.close();
    await conn.model.close().catch(() => undefined);
  }

  /** Re-attaches a consumer whose channel died (server cancel, channel error) while the bus lives. */
  private keepConsuming(consumer: AmqpConsumer): void {
    if (consumer.restarting) return;
    consumer.restarting = true;
    void (async () => {
      try {
        for (let attempt = 0; ; attempt++) {
          if (!(await sleep(this.backoff(attempt), this.abort.signal))) return;
          if (this.closing || consumer.cancelled || !this.consumers.has(consumer)) return;
          const conn = this.conn;
          if (!conn?.alive) continue; // a reconnect is under way and re-attaches every consumer
          if (consumer.isAttachedTo(conn.model)) return;
          try {
            await consumer.attach(conn.model);
            this.log.info({ queue: consumer.queue }, 'amqp consumer resumed');
            return;
          } catch (err) {
            this.log.warn({ queue: consumer.queue, attempt: attempt + 1, err: errorMessage(err) }, 'amqp consumer restart failed');
          }
        }
      } finally {
        consumer.restarting = false;
      }
    })();
  }
}
