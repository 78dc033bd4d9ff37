import { CONTROL_EXCHANGE, HEADER_REPUBLISHED, WORK_EXCHANGE, workQueueName } from '@jobplane/contracts';
import type { MessageBus } from './message-bus';

/** A stored message ready to publish (an outbox row). */
export interface StoredMessage {
  exchange: string;
  routingKey: string;
  messageId: string;
  /** Serialised JSON. */
  body: string;
  headers?: Record<string, string>;
  /** A relay may have published it before (see OutboxRelay): workers claim such a dispatch. */
  republish?: boolean;
}

/**
 * Publishes relayed outbox rows. A pool's work queue is declared before its first dispatch, so jobs
 * for a pool no worker serves yet wait durably in its queue; control broadcasts are not mandatory
 * (no worker running means nobody to tell).
 */
export function outboxPublisher(bus: MessageBus): (batch: StoredMessage[]) => Promise<void> {
  const declared = new Set<string>();
  return async (batch) => {
    const pools = [
      ...new Set(batch.filter((m) => m.exchange === WORK_EXCHANGE).map((m) => m.routingKey)),
    ].filter((p) => !declared.has(p));
    if (pools.length > 0) {
      await bus.declare({
        exchanges: [{ name: WORK_EXCHANGE, kind: 'direct' }],
        queues: pools.map((pool) => ({
          name: workQueueName(pool),
          bindings: [{ exchange: WORK_EXCHANGE, routingKey: pool }],
        })),
      });
      pools.forEach((p) => declared.add(p));
    }
    await bus.publish(
      batch.map((m) => ({
        exchange: m.exchange,
        routingKey: m.routingKey,
        messageId: m.messageId,
        body: Buffer.from(m.body),
        headers: m.republish ? { ...m.headers, [HEADER_REPUBLISHED]: '1' } : (m.headers ?? {}),
        mandatory: m.exchange !== CONTROL_EXCHANGE,
      })),
    );
  };
}
