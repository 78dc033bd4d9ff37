/** RabbitMQ adapter of the bus port (distributed mode). */
import type {
  ConsumeOptions,
  DeclaredTopology,
  MessageBus,
  OutgoingMessage,
  Subscription,
  Topology,
} from './message-bus';
import { ConnectionManager, TopologyError, type Conn } from './amqp-connection';
import { AmqpConsumer, type Handler } from './amqp-consumer';
import { ConfirmPublisher } from './amqp-publisher';
import {
  TopologyRegistry,
  deadLetterTopology,
  declareTopology,
  resolveQueueNames,
  withChannel,
} from './amqp-topology';
import { consoleLogger, errorMessage, sleep, type BusLogger } from './support';

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

export class AmqpBus implements MessageBus {
  private readonly log: BusLogger;
  private readonly name: string;
  private readonly publishTimeoutMs: number;
  private readonly connection: ConnectionManager;
  private readonly topology = new TopologyRegistry();
  private readonly consumers = new Set<AmqpConsumer>();
  private readonly publishing = new Set<Promise<void>>();
  private started = false;
  private closed: Promise<void> | undefined;
  /** A background loop is redeclaring exclusive queues (see declareExclusive). */
  private redeclaring = false;

  constructor(options: AmqpBusOptions) {
    this.log = options.logger ?? consoleLogger;
    this.name = options.connectionName ?? 'jobplane';
    this.publishTimeoutMs = options.publishTimeoutMs ?? 15_000;
    this.connection = new ConnectionManager({
      url: options.url,
      name: this.name,
      log: this.log,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      waitTimeoutMs: this.publishTimeoutMs,
      initialBackoffMs: options.initialBackoffMs ?? 100,
      maxBackoffMs: options.maxBackoffMs ?? 5_000,
      setup: (conn) => this.setup(conn),
    });
  }

  get connectionName(): string {
    return this.name;
  }

  isConnected(): boolean {
    return !this.connection.isClosing && this.connection.current !== undefined;
  }

  async start(topology: Topology): Promise<void> {
    if (this.started) throw new Error('AmqpBus.start() may only be called once');
    this.started = true;
    const resolved = resolveQueueNames(topology);
    this.topology.record({
      exchanges: [...deadLetterTopology.exchanges, ...resolved.exchanges],
      queues: [...deadLetterTopology.queues, ...resolved.queues],
    });
    try {
      await this.connection.connect();
    } catch (err) {
      await this.close();
      throw err;
    }
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
    if (!Number.isInteger(options.prefetch) || options.prefetch < 1)
      throw new Error(`prefetch must be a positive integer, got ${options.prefetch}`);
    const consumer = new AmqpConsumer(queue, handler, options, this.log, (c) => this.keepConsuming(c));
    const deadline = Date.now() + this.publishTimeoutMs;
    for (;;) {
      const conn = await this.waitForConnection(deadline, `consume '${queue}'`);
      try {
        await consumer.attach(conn.model);
        break;
      } catch (err) {
        if (conn.alive)
          throw new Error(`Consuming from '${queue}' failed: ${errorMessage(err)}`, { cause: err });
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
    this.connection.destroySocket();
  }

  private async shutdown(): Promise<void> {
    this.connection.stop(); // publishes waiting for a reconnect reject; loops stop
    await Promise.allSettled([...this.consumers].map((c) => c.cancel()));
    await Promise.allSettled([...this.publishing]); // in-flight confirms
    await Promise.allSettled([...this.consumers].map((c) => c.close()));
    this.consumers.clear();
    await this.connection.disconnect();
    if (this.started) this.log.info({ connection: this.name }, 'amqp bus closed');
  }

  /** Prepares every new connection: publisher, replayed topology, re-attached consumers. */
  private async setup(conn: Conn): Promise<void> {
    conn.publisher = new ConfirmPublisher(await conn.model.createConfirmChannel(), this.log);
    try {
      await withChannel(conn.model, (ch) => declareTopology(ch, this.topology.snapshot('shared')));
    } catch (err) {
      throw conn.alive ? new TopologyError(errorMessage(err), { cause: err }) : err;
    }
    if (!(await this.declareExclusive(conn))) this.keepDeclaringExclusive();
    const active = [...this.consumers].filter((c) => !c.cancelled);
    const results = await Promise.allSettled(active.map((c) => c.attach(conn.model)));
    results.forEach((r, i) => {
      const consumer = active[i];
      if (r.status === 'rejected' && consumer) {
        this.log.warn(
          { queue: consumer.queue, err: errorMessage(r.reason) },
          'amqp consumer could not resume; retrying',
        );
        this.keepConsuming(consumer);
      }
    });
  }

  private async waitForConnection(deadline: number, what: string): Promise<Conn> {
    if (!this.started) throw new Error(`AmqpBus not started; cannot ${what}`);
    return this.connection.waitFor(deadline, what);
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
        conn.checkedExchanges.clear(); // e.g. 404: an exchange was deleted under us
        throw new Error(`Publish failed: ${publisher.closeError.message}`, { cause: publisher.closeError });
      }
      this.log.warn(
        { count: pending.length },
        'amqp channel lost before confirms; republishing (at-least-once)',
      );
    }
  }

  /** Publishing to a missing exchange would close the shared publisher channel (404): check first. */
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
      timer = setTimeout(
        () => reject(new Error(`Timed out after ${this.publishTimeoutMs} ms waiting for ${what}`)),
        Math.max(0, deadline - Date.now()),
      );
    });
    try {
      return await Promise.race([task, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Until the broker notices the old connection died (heartbeat timeout), it still owns our
   * exclusive queues and redeclaring them fails with RESOURCE_LOCKED. That must not keep the bus
   * down, so exclusive queues are redeclared best-effort and retried in the background.
   */
  private async declareExclusive(conn: Conn): Promise<boolean> {
    const exclusive = this.topology.snapshot('exclusive');
    if (exclusive.queues.length === 0) return true;
    try {
      await withChannel(conn.model, (ch) => declareTopology(ch, exclusive));
      return true;
    } catch (err) {
      if (!conn.alive) throw err;
      this.log.warn(
        { connection: this.name, err: errorMessage(err) },
        'amqp exclusive queues not redeclared yet; retrying',
      );
      return false;
    }
  }

  private keepDeclaringExclusive(): void {
    if (this.redeclaring) return;
    this.redeclaring = true;
    this.retryInBackground(
      async (conn) => {
        if (!(await this.declareExclusive(conn).catch(() => false))) return false;
        this.log.info({ connection: this.name }, 'amqp exclusive queues redeclared');
        return true;
      },
      () => (this.redeclaring = false),
    );
  }

  /** Re-attaches a consumer whose channel died (server cancel, channel error) while the bus lives. */
  private keepConsuming(consumer: AmqpConsumer): void {
    if (consumer.restarting) return;
    consumer.restarting = true;
    this.retryInBackground(
      async (conn) => {
        if (consumer.cancelled || !this.consumers.has(consumer) || consumer.isAttachedTo(conn.model))
          return true;
        try {
          await consumer.attach(conn.model);
          this.log.info({ queue: consumer.queue }, 'amqp consumer resumed');
          return true;
        } catch (err) {
          this.log.warn({ queue: consumer.queue, err: errorMessage(err) }, 'amqp consumer restart failed');
          return false;
        }
      },
      () => (consumer.restarting = false),
    );
  }

  /** Runs `attempt` with backoff on the live connection until it returns true or the bus closes. */
  private retryInBackground(attempt: (conn: Conn) => Promise<boolean>, done: () => void): void {
    void (async () => {
      try {
        for (let n = 0; ; n++) {
          if (!(await sleep(this.connection.backoff(n), this.connection.signal))) return;
          const conn = this.connection.current;
          if (!conn) continue; // a reconnect is under way; its setup covers this too
          if (await attempt(conn)) return;
        }
      } finally {
        done();
      }
    })();
  }
}
