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
  name: string;
  /** Durable quorum queue (default) or a private, auto-deleted queue for one consumer (control). */
  kind?: 'quorum' | 'exclusive';
  /** Redeliveries before the message is dead-lettered (quorum only). */
  deliveryLimit?: number;
  /** Only one consumer receives at a time; others stand by (keeps order across replicas). */
  singleActiveConsumer?: boolean;
  bindings?: { exchange: string; routingKey: string }[];
}

export interface Topology {
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
}

export type Headers = Record<string, string>;

export interface OutgoingMessage {
  exchange: string;
  routingKey: string;
  /** Serialised JSON body. */
  body: Buffer;
  headers?: Headers;
  messageId?: string;
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
  /** Declares more exchanges and queues at run time (e.g. a worker's private control queue). */
  declare(topology: Topology): Promise<void>;
  /** Resolves once the broker confirmed every message; rejects if any was refused or unroutable. */
  publish(messages: OutgoingMessage[]): Promise<void>;
  consume(queue: string, handler: (delivery: Delivery) => Promise<void> | void, options: ConsumeOptions): Promise<Subscription>;
  /** True while connected. */
  isConnected(): boolean;
  /** Cancels consumers, waits for pending confirms, closes. */
  close(): Promise<void>;
}
