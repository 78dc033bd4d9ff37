/** One consumer on its own channel; survives reconnects by being re-attached to new connections. */
import type { Channel, ChannelModel, ConsumeMessage, MessagePropertyHeaders } from 'amqplib';
import type { ConsumeOptions, Delivery, Headers } from './message-bus';
import { errorMessage, type BusLogger } from './support';

export type Handler = (delivery: Delivery) => Promise<void> | void;

interface Attachment {
  model: ChannelModel;
  ready: Promise<void>;
  channel?: Channel;
  tag?: string;
  established?: boolean;
}

export class AmqpConsumer {
  cancelled = false;
  /** A restart loop is running for this consumer (see AmqpBus.keepConsuming). */
  restarting = false;
  private current: Attachment | undefined;
  private unacked = 0;

  constructor(
    readonly queue: string,
    private readonly handler: Handler,
    private readonly options: ConsumeOptions,
    private readonly log: BusLogger,
    /** Called when the channel closes while the consumer should still be running. */
    private readonly onLost: (consumer: AmqpConsumer) => void,
  ) {}

  isAttachedTo(model: ChannelModel): boolean {
    return this.current?.model === model && this.current.tag !== undefined;
  }

  /** Idempotent per connection: concurrent callers (consume, reconnect, restart) share one attempt. */
  attach(model: ChannelModel): Promise<void> {
    if (this.current?.model === model) return this.current.ready;
    const attachment: Attachment = { model, ready: Promise.resolve() };
    attachment.ready = this.open(attachment).catch((err: unknown) => {
      if (this.current === attachment) this.current = undefined;
      throw err;
    });
    this.current = attachment;
    return attachment.ready;
  }

  private async open(att: Attachment): Promise<void> {
    const ch = await att.model.createChannel();
    att.channel = ch;
    ch.on('error', (err: Error) =>
      this.log.warn({ queue: this.queue, err: errorMessage(err) }, 'amqp consumer channel error'),
    );
    ch.on('close', () => {
      if (this.current !== att) return;
      this.current = undefined;
      this.unacked = 0; // the broker requeues whatever this channel held
      // Only an established consumer restarts itself; a failed attach is reported to its caller.
      if (att.established && !this.cancelled) this.onLost(this);
    });
    try {
      await ch.prefetch(this.options.prefetch);
      const { consumerTag } = await ch.consume(this.queue, (msg) => this.onMessage(att, ch, msg), {
        noAck: false,
      });
      att.tag = consumerTag;
      att.established = true;
    } catch (err) {
      await ch.close().catch(() => undefined);
      throw err;
    }
    if (this.cancelled) await this.cancel(); // cancelled while we were attaching
  }

  /** Stops new deliveries; the channel stays open until unacked deliveries are settled. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    const att = this.current;
    if (!att?.channel || att.tag === undefined) return;
    const { channel, tag } = att;
    att.tag = undefined;
    // cancel() throws synchronously on a channel that just died; the broker already dropped us then.
    await Promise.resolve()
      .then(() => channel.cancel(tag))
      .catch(() => undefined);
    if (this.unacked === 0) await this.close();
  }

  async close(): Promise<void> {
    this.cancelled = true;
    const att = this.current;
    this.current = undefined;
    await att?.channel?.close().catch(() => undefined);
  }

  /** Must never throw: an exception here would tear down amqplib's whole connection. */
  private onMessage(att: Attachment, ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // Server-side cancel (queue deleted, leader change): drop the channel, which triggers a restart.
      this.log.warn({ queue: this.queue }, 'amqp consumer cancelled by the broker');
      if (this.current === att) void ch.close().catch(() => undefined);
      return;
    }
    this.unacked++;
    let settled = false;
    const settle = (op: () => void) => {
      if (settled) return;
      settled = true;
      // After a channel loss the delivery tag is meaningless; the broker redelivers instead.
      if (this.current !== att) return;
      this.unacked--;
      try {
        op();
      } catch (err) {
        this.log.warn({ queue: this.queue, err: errorMessage(err) }, 'amqp ack/nack failed');
      }
      if (this.cancelled && this.unacked === 0 && att.tag === undefined) void this.close();
    };
    const delivery = toDelivery(msg, {
      ack: () => settle(() => ch.ack(msg)),
      nack: (requeue) => settle(() => ch.nack(msg, false, requeue)),
    });
    this.run(delivery);
  }

  private run(delivery: Delivery): void {
    let result: Promise<void> | void;
    try {
      result = this.handler(delivery);
    } catch (err) {
      this.onHandlerError(delivery, err);
      return;
    }
    Promise.resolve(result).catch((err: unknown) => this.onHandlerError(delivery, err));
  }

  private onHandlerError(delivery: Delivery, err: unknown): void {
    this.log.error(
      {
        queue: this.queue,
        messageId: delivery.messageId,
        deliveryCount: delivery.deliveryCount,
        err: errorMessage(err),
      },
      'message handler failed; requeueing',
    );
    delivery.nack(true); // the quorum delivery limit eventually dead-letters a poison message
  }
}

function toDelivery(msg: ConsumeMessage, settle: Pick<Delivery, 'ack' | 'nack'>): Delivery {
  const raw = msg.properties.headers;
  const count = raw?.['x-delivery-count'];
  return {
    body: msg.content,
    headers: stringifyHeaders(raw),
    exchange: msg.fields.exchange,
    routingKey: msg.fields.routingKey,
    messageId: typeof msg.properties.messageId === 'string' ? msg.properties.messageId : undefined,
    redelivered: msg.fields.redelivered,
    // Quorum queues count previous failed deliveries in x-delivery-count (absent the first time).
    deliveryCount: typeof count === 'number' ? count + 1 : msg.fields.redelivered ? 2 : 1,
    ack: settle.ack,
    nack: settle.nack,
  };
}

/** The port's headers are strings; broker-added tables such as `x-death` become JSON. */
export function stringifyHeaders(raw: MessagePropertyHeaders | undefined): Headers {
  const out: Headers = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') out[key] = value;
    else if (Buffer.isBuffer(value)) out[key] = value.toString('utf8');
    else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
      out[key] = String(value);
    else out[key] = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return out;
}
