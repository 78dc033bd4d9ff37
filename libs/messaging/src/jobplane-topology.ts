import {
  ALL_JOB_EVENTS,
  ALL_ADMIN_ACTIONS,
  ATTEMPT_CLAIM,
  CLAIM_MESSAGE_TTL_MS,
  AUDIT_EVENTS_QUEUE,
  CONTROL_EXCHANGE,
  EVENTS_EXCHANGE,
  HEARTBEAT_MESSAGE_TTL_MS,
  NOTIFY_EXCHANGE,
  SCHEDULER_CLAIMS_QUEUE,
  SCHEDULER_EVENTS_QUEUE,
  SCHEDULER_HEARTBEATS_QUEUE,
  SCHEDULER_TRANSITIONS,
  WORKER_HEARTBEAT,
  WORK_EXCHANGE,
  workQueueName,
} from '@jobplane/contracts';
import type { Topology } from './message-bus';

/**
 * Exchanges and queues every service declares at start (declaration is idempotent), so a message
 * published before its consumer ever ran still lands in a durable queue instead of being dropped.
 */
export function jobplaneTopology(pools: string[] = []): Topology {
  return {
    exchanges: [
      { name: EVENTS_EXCHANGE, kind: 'topic' },
      { name: WORK_EXCHANGE, kind: 'direct' },
      { name: CONTROL_EXCHANGE, kind: 'fanout' },
      { name: NOTIFY_EXCHANGE, kind: 'fanout' },
    ],
    queues: [
      {
        name: SCHEDULER_EVENTS_QUEUE,
        singleActiveConsumer: true,
        bindings: [{ exchange: EVENTS_EXCHANGE, routingKey: ALL_JOB_EVENTS }],
      },
      {
        name: SCHEDULER_HEARTBEATS_QUEUE,
        messageTtlMs: HEARTBEAT_MESSAGE_TTL_MS,
        bindings: [{ exchange: EVENTS_EXCHANGE, routingKey: WORKER_HEARTBEAT }],
      },
      {
        name: SCHEDULER_CLAIMS_QUEUE,
        messageTtlMs: CLAIM_MESSAGE_TTL_MS,
        bindings: [{ exchange: EVENTS_EXCHANGE, routingKey: ATTEMPT_CLAIM }],
      },
      {
        name: AUDIT_EVENTS_QUEUE,
        singleActiveConsumer: true,
        bindings: [
          { exchange: EVENTS_EXCHANGE, routingKey: ALL_JOB_EVENTS },
          { exchange: EVENTS_EXCHANGE, routingKey: ALL_ADMIN_ACTIONS },
          { exchange: EVENTS_EXCHANGE, routingKey: SCHEDULER_TRANSITIONS },
        ],
      },
      ...pools.map((pool) => ({
        name: workQueueName(pool),
        bindings: [{ exchange: WORK_EXCHANGE, routingKey: pool }],
      })),
    ],
  };
}

/** A readiness check body: throws unless the bus is connected. */
export function assertConnected(bus: { isConnected(): boolean }): void {
  if (!bus.isConnected()) throw new Error('not connected to the message broker');
}
