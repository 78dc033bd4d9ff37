/** Maps the port's topology onto RabbitMQ declarations. */
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, Options } from 'amqplib';
import { DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, quorumQueueArguments } from '@jobplane/contracts';
import type { QueueSpec, Topology } from './message-bus';
import { errorMessage } from './support';

/** Declared on every start: poison and rejected messages must always have somewhere to go. */
export const deadLetterTopology: Topology = {
  exchanges: [{ name: DEAD_LETTER_EXCHANGE, kind: 'fanout' }],
  queues: [{ name: DEAD_LETTER_QUEUE, bindings: [{ exchange: DEAD_LETTER_EXCHANGE, routingKey: '' }] }],
};

/**
 * Exclusive queues named '' get a client-side name rather than a broker one (`amq.gen-…`), so
 * the same name can be redeclared, rebound and reconsumed after a reconnect.
 */
export function resolveQueueNames(topology: Topology): Topology {
  const queues = topology.queues.map((q) => {
    if (q.name !== '') return q;
    if (q.kind !== 'exclusive') throw new Error('Only exclusive queues may have a generated name');
    return { ...q, name: `jobplane.exclusive.${randomUUID()}` };
  });
  return { exchanges: topology.exchanges, queues };
}

export function assertQueueOptions(spec: QueueSpec): Options.AssertQueue {
  if (spec.kind === 'exclusive') return { exclusive: true, autoDelete: true, durable: false };
  // The dead-letter queue must not dead-letter into itself.
  if (spec.name === DEAD_LETTER_QUEUE) return { durable: true, arguments: { 'x-queue-type': 'quorum' } };
  const args = quorumQueueArguments({
    deliveryLimit: spec.deliveryLimit,
    singleActiveConsumer: spec.singleActiveConsumer,
    messageTtlMs: spec.messageTtlMs,
  });
  if (spec.deadLetterExchange !== undefined) args['x-dead-letter-exchange'] = spec.deadLetterExchange;
  return { durable: true, arguments: args };
}

/** Declares exchanges, then queues, then bindings (bindings need both ends). */
export async function declareTopology(channel: Channel, topology: Topology): Promise<void> {
  for (const ex of topology.exchanges) {
    await step(`exchange '${ex.name}'`, () => channel.assertExchange(ex.name, ex.kind, { durable: true }));
  }
  for (const q of topology.queues) {
    await step(`queue '${q.name}'`, () => channel.assertQueue(q.name, assertQueueOptions(q)));
  }
  for (const q of topology.queues) {
    for (const b of q.bindings ?? []) {
      await step(`binding '${b.exchange}' -[${b.routingKey}]-> '${q.name}'`, () =>
        channel.bindQueue(q.name, b.exchange, b.routingKey),
      );
    }
  }
}

async function step(what: string, op: () => Promise<unknown>): Promise<void> {
  try {
    await op();
  } catch (err) {
    throw new Error(`Declaring ${what} failed: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Runs `fn` on a short-lived channel. Declaration errors (e.g. 406 inequivalent arguments) close
 * that channel only, never the publisher or consumer channels.
 */
export async function withChannel<T>(model: ChannelModel, fn: (ch: Channel) => Promise<T>): Promise<T> {
  const ch = await model.createChannel();
  let open = true;
  ch.on('error', () => undefined); // the failing RPC already rejects with the same error
  ch.on('close', () => {
    open = false;
  });
  try {
    return await fn(ch);
  } finally {
    if (open) await ch.close().catch(() => undefined);
  }
}

/** Keeps every declaration made so far, deduplicated, so a reconnect can replay it. */
export class TopologyRegistry {
  private readonly exchanges = new Map<string, Topology['exchanges'][number]>();
  private readonly queues = new Map<string, QueueSpec>();

  record(topology: Topology): void {
    for (const ex of topology.exchanges) this.exchanges.set(ex.name, ex);
    for (const q of topology.queues) {
      const prev = this.queues.get(q.name);
      const bindings = [...(prev?.bindings ?? [])];
      for (const b of q.bindings ?? []) {
        if (!bindings.some((x) => x.exchange === b.exchange && x.routingKey === b.routingKey))
          bindings.push(b);
      }
      this.queues.set(q.name, { ...q, bindings });
    }
  }

  hasExchange(name: string): boolean {
    return this.exchanges.has(name);
  }

  /**
   * `shared`: exchanges and quorum queues, which must exist before the bus is usable. `exclusive`:
   * private queues, which another (half-dead) connection may still hold for a while.
   */
  snapshot(part: 'shared' | 'exclusive'): Topology {
    const queues = [...this.queues.values()].filter(
      (q) => (q.kind === 'exclusive') === (part === 'exclusive'),
    );
    return { exchanges: part === 'shared' ? [...this.exchanges.values()] : [], queues };
  }
}
