/** Publishing on one confirm channel: pipelined sends, per-message confirms, mandatory returns. */
import { IllegalOperationError, type ConfirmChannel, type Message } from 'amqplib';
import type { OutgoingMessage } from './message-bus';
import { errorMessage, type BusLogger } from './support';

/**
 * `lost`: the channel died before the broker answered, so the fate is unknown and the caller may
 * republish (at-least-once). `refused`: nacked, returned as unroutable or unencodable — final.
 */
export type PublishOutcome = { kind: 'confirmed' } | { kind: 'lost' } | { kind: 'refused'; error: Error };

interface InFlight {
  message: OutgoingMessage;
  returned?: string;
}

const LOST: PublishOutcome = { kind: 'lost' };

export class ConfirmPublisher {
  private open = true;
  /** Why the broker closed the channel (e.g. 404: an exchange deleted under us). */
  closeError: Error | undefined;
  /** Insertion-ordered, so a basic.return matches the oldest identical unconfirmed publish. */
  private readonly inflight = new Set<InFlight>();

  constructor(
    readonly channel: ConfirmChannel,
    private readonly log: BusLogger,
  ) {
    channel.on('return', (msg: Message) => this.onReturn(msg));
    channel.on('error', (err: Error) => {
      this.closeError = err;
      this.log.warn({ err: errorMessage(err) }, 'amqp publisher channel error');
    });
    channel.on('close', () => {
      this.open = false;
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Publishes without awaiting each confirm; waits for 'drain' whenever the socket buffer is full. */
  async send(messages: OutgoingMessage[]): Promise<PublishOutcome[]> {
    const outcomes: Promise<PublishOutcome>[] = [];
    for (const message of messages) {
      if (!this.open) {
        outcomes.push(Promise.resolve(LOST));
        continue;
      }
      let flowing = true;
      outcomes.push(
        new Promise<PublishOutcome>((resolve) => {
          const entry: InFlight = { message };
          this.inflight.add(entry);
          try {
            flowing = this.channel.publish(
              message.exchange,
              message.routingKey,
              message.body,
              {
                persistent: true,
                mandatory: message.mandatory ?? true,
                contentType: 'application/json',
                messageId: message.messageId,
                headers: message.headers ?? {},
              },
              (err: unknown) => {
                this.inflight.delete(entry);
                resolve(classify(entry, err));
              },
            );
          } catch (err) {
            // Closed channel: never sent. Anything else (e.g. RangeError for huge headers) is final.
            this.inflight.delete(entry);
            resolve(
              err instanceof IllegalOperationError
                ? LOST
                : { kind: 'refused', error: err instanceof Error ? err : new Error(String(err)) },
            );
          }
        }),
      );
      if (!flowing) await this.drained();
    }
    return Promise.all(outcomes);
  }

  async close(): Promise<void> {
    if (!this.open) return;
    await this.channel.close().catch(() => undefined);
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.channel.off('drain', done);
        this.channel.off('close', done);
        resolve();
      };
      this.channel.on('drain', done);
      this.channel.on('close', done);
    });
  }

  /** RabbitMQ sends basic.return before the ack of the same message, so the flag is set in time. */
  private onReturn(msg: Message): void {
    const { exchange, routingKey, replyText } = msg.fields as Message['fields'] & { replyText?: string };
    for (const entry of this.inflight) {
      const m = entry.message;
      if (
        entry.returned === undefined &&
        m.exchange === exchange &&
        m.routingKey === routingKey &&
        m.messageId === (msg.properties.messageId as string | undefined) &&
        m.body.equals(msg.content)
      ) {
        entry.returned = replyText ?? 'NO_ROUTE';
        return;
      }
    }
    this.log.warn({ exchange, routingKey }, 'amqp returned a message that matches no pending publish');
  }
}

function classify(entry: InFlight, err: unknown): PublishOutcome {
  const { exchange, routingKey } = entry.message;
  if (entry.returned !== undefined) {
    return {
      kind: 'refused',
      error: new Error(
        `Unroutable message: exchange '${exchange}', routing key '${routingKey}' (${entry.returned})`,
      ),
    };
  }
  if (!err) return { kind: 'confirmed' };
  // amqplib reports a broker nack as 'message nacked' and a dead channel as 'channel closed'.
  if (errorMessage(err) === 'message nacked') {
    return {
      kind: 'refused',
      error: new Error(`Broker refused message: exchange '${exchange}', routing key '${routingKey}'`),
    };
  }
  return LOST;
}
