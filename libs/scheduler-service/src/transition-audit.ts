import { createSchedulerTransitions, EVENTS_EXCHANGE, SchedulerTransition } from '@jobplane/contracts';
import type { JobEventInput, JobRecord, OutboxMessage, Tx } from '@jobplane/persistence';

/**
 * Collects, per transaction, the job events the scheduler recorded without a causing message
 * (dispatches, watchdog ends and retries, cancels of queued jobs), so they reach the audit trail
 * like every message-caused event does: as one outbox row per transaction, written by the same
 * multi-row insert as the transaction's other outgoing messages, so they commit together.
 */
export class TransitionAudit {
  private readonly open = new WeakMap<Tx, SchedulerTransition[]>();

  /** Notes an event `tx` recorded for `job` (seq already assigned by the guarded update). */
  recorded(tx: Tx, job: JobRecord, e: JobEventInput): void {
    let list = this.open.get(tx);
    if (!list) this.open.set(tx, (list = []));
    list.push({
      eventId: e.id,
      jobId: job.id,
      tenant: job.tenant,
      event: e.type,
      attempt: e.attempt,
      data: e.data ?? {},
      occurredAt: e.occurredAt.toISOString(),
    });
  }

  /**
   * Moves what `tx` collected to the front of `outbox` (the relay publishes in outbox order, so the
   * trail hears of a dispatch before the worker's start it causes). Call right before the insert.
   */
  flushInto(tx: Tx, outbox: OutboxMessage[]): void {
    const transitions = this.open.get(tx);
    if (!transitions?.length) return;
    this.open.delete(tx);
    const message = createSchedulerTransitions(transitions);
    outbox.unshift({
      exchange: EVENTS_EXCHANGE,
      routingKey: message.type,
      messageId: message.id,
      body: JSON.stringify(message),
    });
  }
}
