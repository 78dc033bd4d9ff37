/**
 * The bus port: what services need from a message broker. Two adapters implement it with the same
 * semantics — AMQP (RabbitMQ, distributed mode) and in-process (embedded mode and fast tests).
 */

export type ExchangeKind = 'topic' | 'direct' | 'fanout';

export interface ExchangeSpec {
  name: string;
  kind: ExchangeKind;
}

export interface QueueSpec {
  /**
   * Queue name. An exclusive queue may use '' to get a unique generated name, returned by
   * `declare()` (see `DeclaredTopology`); it stays the same across reconnects.
   */
  name: string;
  /** Durable quorum queue (default) or a private, auto-deleted queue for one consumer (control). */
  kind?: 'quorum' | 'exclusive';
  /** Redeliveries before the message is dead-lettered (quorum only). */
  deliveryLimit?: number;
  /** Only one consumer receives at a time; others stand by (keeps order across replicas). */
  singleActiveConsumer?: boolean;
  /** Messages older than this are dropped (for signals where only the latest matters). */
  messageTtlMs?: number;
  /** Exchange receiving this queue's dead letters (quorum only); defaults to DEAD_LETTER_EXCHANGE. */
  deadLetterExchange?: string;
  bindings?: { exchange: string; routingKey: string }[];
}

export interface Topology {
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
}

/** What `declare()` resolves with: queue names in `topology.queues` order, '' ones generated. */
export interface DeclaredTopology {
  queues: string[];
}

export type Headers = Record<string, string>;

export interface OutgoingMessage {
  exchange: string;
  routingKey: string;
  /** Serialised JSON body. */
  body: Buffer;
  headers?: Headers;
  messageId?: string;
  /**
   * Default true: a message no queue receives rejects the publish. False for broadcasts where
   * nobody listening is fine (e.g. control messages with no worker running): it is dropped.
   */
  mandatory?: boolean;
}

export interface Delivery {
  body: Buffer;
  headers: Headers;
  exchange: string;
  routingKey: string;
  messageId?: string;
  /** True when the broker delivered this message before (consumer died or nacked). */
  redelivered: boolean;
  /** Deliveries so far including this one, when the broker tracks it (quorum queues). */
  deliveryCount: number;
  ack(): void;
  /** requeue=false dead-letters the message. */
  nack(requeue: boolean): void;
}

export interface ConsumeOptions {
  /** Unacked deliveries this consumer may hold at once. */
  prefetch: number;
}

export interface Subscription {
  /** Stops delivering new messages; unacked ones stay with the consumer until acked or nacked. */
  cancel(): Promise<void>;
}

export interface MessageBus {
  /** Connects (retrying with backoff) and declares the topology; safe to call once. */
  start(topology: Topology): Promise<void>;
  /**
   * Declares more exchanges and queues at run time (e.g. a worker's private control queue).
   * Resolves with the queue names used, so '' exclusive queues can be consumed.
   */
  declare(topology: Topology): Promise<DeclaredTopology>;
  /** Resolves once the broker confirmed every message; rejects if any was refused or unroutable. */
  publish(messages: OutgoingMessage[]): Promise<void>;
  consume(
    queue: string,
    handler: (delivery: Delivery) => Promise<void> | void,
    options: ConsumeOptions,
  ): Promise<Subscription>;
  /** True while connected. */
  isConnected(): boolean;
  /** Cancels consumers, waits for pending confirms, closes. */
  close(): Promise<void>;
}
