/**
 * The broker connection lifecycle: connect with retry, notice loss, reconnect until closed, and let
 * callers wait (bounded) for a live connection. Hand-rolled rather than amqplib 2.x's `recovery`
 * option, because a new connection must be fully prepared (topology, consumers) before use.
 */
import { EventEmitter } from 'node:events';
import * as amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import type { ConfirmPublisher } from './amqp-publisher';
import { backoffDelay, errorMessage, onceOrTimeout, redactUrl, sleep, type BusLogger } from './support';

/** One broker connection; `alive` turns false on close and never back. */
export interface Conn {
  model: ChannelModel;
  alive: boolean;
  publisher?: ConfirmPublisher;
  publisherOpening?: Promise<ConfirmPublisher>;
  /** Exchanges verified to exist, so a bad name fails fast instead of killing the publisher channel. */
  checkedExchanges: Set<string>;
}

/** Declaration refused while the connection stayed up (e.g. inequivalent queue arguments). */
export class TopologyError extends Error {}

export interface ConnectionOptions {
  url: string;
  name: string;
  log: BusLogger;
  connectTimeoutMs: number;
  /** Longest `waitFor` blocks for a (re)connect. */
  waitTimeoutMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Prepares a fresh connection (publisher, topology, consumers) before it becomes current. */
  setup: (conn: Conn) => Promise<void>;
}

export class ConnectionManager {
  private conn: Conn | undefined;
  private closing = false;
  /** The (re)connect in progress, awaited on close so no socket outlives the bus. */
  private connecting: Promise<unknown> | undefined;
  /** Emits 'change' whenever `conn` changes or closing starts; waiters re-check state. */
  private readonly state = new EventEmitter();
  private readonly abort = new AbortController();

  constructor(private readonly o: ConnectionOptions) {
    this.state.setMaxListeners(0); // one listener per waiting publish is expected
  }

  /** Aborted on close: background loops sleep on it. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get current(): Conn | undefined {
    return this.conn?.alive ? this.conn : undefined;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  backoff(attempt: number): number {
    return backoffDelay(attempt, this.o.initialBackoffMs, this.o.maxBackoffMs);
  }

  /** Initial connection: retries with backoff until connectTimeoutMs, but not on topology errors. */
  async connect(): Promise<void> {
    const task = this.connectUntil(Date.now() + this.o.connectTimeoutMs);
    this.connecting = task;
    try {
      const conn = await task;
      this.connecting = undefined; // before activate: a reconnect must not see a connect in progress
      if (!this.activate(conn)) void this.reconnect();
    } finally {
      this.connecting = undefined;
    }
  }

  async waitFor(deadline: number, what: string): Promise<Conn> {
    for (;;) {
      if (this.closing) throw new Error(`AmqpBus is closed; cannot ${what}`);
      if (this.conn?.alive) return this.conn;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `Timed out after ${this.o.waitTimeoutMs} ms waiting for the RabbitMQ connection to ${what}`,
        );
      await onceOrTimeout(this.state, 'change', left);
    }
  }

  /** Phase 1 of close: no more reconnects, waiters reject, background loops wake up and stop. */
  stop(): void {
    this.closing = true;
    this.abort.abort();
    this.state.emit('change');
  }

  /** Phase 2 of close, once consumers and publishes are drained: drop the connection. */
  async disconnect(): Promise<void> {
    await this.connecting?.catch(() => undefined);
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await this.dispose(conn);
  }

  /** Test hook: destroys the socket the way a network failure would. */
  destroySocket(): void {
    const connection = this.conn?.model.connection as { stream?: { destroy(err?: Error): void } } | undefined;
    connection?.stream?.destroy(new Error('socket destroyed by test hook'));
  }

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
      this.o.log.warn(
        { url: redactUrl(this.o.url), attempt: attempt + 1, delayMs: wait, err: errorMessage(lastError) },
        'amqp connect failed; retrying',
      );
      if (!(await sleep(wait, this.abort.signal))) throw new Error('AmqpBus closed while connecting');
    }
    throw new Error(
      `Could not connect to RabbitMQ at ${redactUrl(this.o.url)} within ${this.o.connectTimeoutMs} ms: ${errorMessage(lastError)}`,
      { cause: lastError },
    );
  }

  /** After an unexpected close: retries forever (until closed), each attempt fully set up. */
  private async reconnect(): Promise<void> {
    if (this.connecting || this.closing) return;
    const task = (async () => {
      for (let attempt = 0; ; attempt++) {
        const wait = this.backoff(attempt);
        this.o.log.info(
          { connection: this.o.name, attempt: attempt + 1, delayMs: wait },
          'amqp reconnecting',
        );
        if (!(await sleep(wait, this.abort.signal))) return;
        try {
          if (this.activate(await this.establish())) {
            this.o.log.info({ connection: this.o.name, url: redactUrl(this.o.url) }, 'amqp reconnected');
            return;
          }
          if (this.closing) return;
        } catch (err) {
          const level = err instanceof TopologyError ? 'error' : 'warn';
          this.o.log[level](
            { connection: this.o.name, attempt: attempt + 1, err: errorMessage(err) },
            'amqp reconnect attempt failed',
          );
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

  private async establish(): Promise<Conn> {
    const conn = await this.open();
    try {
      await this.o.setup(conn);
      if (!conn.alive) throw new Error('connection closed during setup');
      return conn;
    } catch (err) {
      await this.dispose(conn);
      throw err;
    }
  }

  private async open(): Promise<Conn> {
    const { name, log } = this.o;
    const model = await amqp.connect(this.o.url, {
      clientProperties: { connection_name: name },
      timeout: Math.min(10_000, this.o.connectTimeoutMs), // bounds a TCP connect that never answers
      // amqplib leaves Nagle on; with the broker's delayed ACKs every small publish or ack can stall ~40 ms.
      noDelay: true,
    });
    const conn: Conn = { model, alive: true, checkedExchanges: new Set() };
    // Without an 'error' listener amqplib's emit would throw; the 'close' that follows does the work.
    model.on('error', (err: Error) =>
      log.warn({ connection: name, err: errorMessage(err) }, 'amqp connection error'),
    );
    model.on('blocked', (reason: string) =>
      log.warn({ connection: name, reason }, 'amqp connection blocked by broker'),
    );
    model.on('unblocked', () => log.info({ connection: name }, 'amqp connection unblocked'));
    model.on('close', (err?: Error) => {
      conn.alive = false;
      if (this.conn !== conn) return;
      this.conn = undefined;
      this.state.emit('change');
      if (this.closing) return;
      log.warn({ connection: name, err: err ? errorMessage(err) : undefined }, 'amqp connection lost');
      void this.reconnect();
    });
    return conn;
  }

  /** Makes `conn` current; false (and the connection is dropped) if it died or we are closing. */
  private activate(conn: Conn): boolean {
    if (this.closing || !conn.alive) {
      void this.dispose(conn);
      return false;
    }
    this.conn = conn;
    this.o.log.info({ connection: this.o.name, url: redactUrl(this.o.url) }, 'amqp connected');
    this.state.emit('change');
    return true;
  }

  private async dispose(conn: Conn): Promise<void> {
    if (!conn.alive) return;
    await conn.publisher?.close();
    await conn.model.close().catch(() => undefined);
  }
}
