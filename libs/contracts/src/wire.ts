/**
 * Wire names shared by every service and by polyglot workers.
 * Values are wire format — never rename; add new names instead.
 */

/** Topic exchange carrying every lifecycle message; routing key = message type. */
export const EVENTS_EXCHANGE = 'jobplane.events';
/** Direct exchange for dispatch to workers; routing key = pool name. */
export const WORK_EXCHANGE = 'jobplane.work';
/** Fanout exchange for commands every worker must see (cancellation). */
export const CONTROL_EXCHANGE = 'jobplane.control';
/** Fanout exchange receiving rejected and over-delivered messages. */
export const DEAD_LETTER_EXCHANGE = 'jobplane.dlx';
/** Quorum queue collecting dead letters for inspection. */
export const DEAD_LETTER_QUEUE = 'jobplane.dead';

/** Queue the scheduler consumes (single active consumer keeps per-job order across replicas). */
export const SCHEDULER_EVENTS_QUEUE = 'jobplane.scheduler.events';
/** Queue of worker heartbeats for the scheduler (stale ones expire: only the latest matters). */
export const SCHEDULER_HEARTBEATS_QUEUE = 'jobplane.scheduler.heartbeats';
export const WORKER_HEARTBEAT = 'worker.heartbeat';
export const HEARTBEAT_MESSAGE_TTL_MS = 60_000;

/** Queue the audit service consumes. */
export const AUDIT_EVENTS_QUEUE = 'jobplane.audit.events';

/** Routing-key pattern matching every job lifecycle message on EVENTS_EXCHANGE. */
export const ALL_JOB_EVENTS = 'job.#';

/** Work queue name of a pool. */
export function workQueueName(pool: string): string {
  return `${WORK_EXCHANGE}.${pool}`;
}

/**
 * Deliveries of one message before RabbitMQ dead-letters it. Explicit on every quorum queue:
 * RabbitMQ 4.x defaults to 20, 3.x to unlimited; both honour an explicit value.
 */
export const DEFAULT_DELIVERY_LIMIT = 5;

/** Queue arguments for a durable quorum queue with an explicit delivery limit and dead-lettering. */
export function quorumQueueArguments(
  opts: { deliveryLimit?: number; singleActiveConsumer?: boolean; messageTtlMs?: number } = {},
) {
  const args: Record<string, unknown> = {
    'x-queue-type': 'quorum',
    'x-delivery-limit': opts.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT,
    'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
  };
  if (opts.singleActiveConsumer) args['x-single-active-consumer'] = true;
  if (opts.messageTtlMs) args['x-message-ttl'] = opts.messageTtlMs;
  return args;
}

/** AMQP header names. */
export const HEADER_TRACEPARENT = 'traceparent';
export const HEADER_TRACESTATE = 'tracestate';
export const HEADER_CONTRACT_VERSION = 'x-jobplane-v';

/** Pool used when a job names none. */
export const DEFAULT_POOL = 'default';
/** Tenant used until API keys exist. */
export const DEFAULT_TENANT = 'default';

/**
 * Queue of attempt claims from workers (see claims.ts). Any scheduler replica answers (the decision
 * is one registry transaction); an unanswered claim expires, its worker retries.
 */
export const SCHEDULER_CLAIMS_QUEUE = 'jobplane.scheduler.claims';
/** Routing key of attempt claims on EVENTS_EXCHANGE (outside `job.#`: not a lifecycle message). */
export const ATTEMPT_CLAIM = 'attempt.claim';
export const CLAIM_MESSAGE_TTL_MS = 30_000;
/** Set ('1') on a work message the outbox relay may have published before (a crashed relay's row). */
export const HEADER_REPUBLISHED = 'x-jobplane-republished';

/** A worker's private control queue: cancels arrive by fanout, claim replies by the default exchange. */
export function workerControlQueue(workerId: string): string {
  return `${CONTROL_EXCHANGE}.${workerId}`;
}
