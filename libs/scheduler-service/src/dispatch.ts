import { CONTROL_EXCHANGE, createMessage, WORK_EXCHANGE } from '@jobplane/contracts';
import type { JobRecord, OutboxMessage } from '@jobplane/persistence';

/** The work-queue message for one attempt of a job. */
export function dispatchMessage(job: JobRecord, headers?: Record<string, string>): OutboxMessage {
  const message = createMessage('job.dispatch', {
    jobId: job.id,
    tenant: job.tenant,
    data: {
      type: job.type,
      pool: job.pool,
      payload: job.payload,
      attempt: job.attempt,
      maxAttempts: job.maxAttempts,
      timeouts: (job.timeouts as never) ?? null,
      labels: job.labels,
    },
  });
  return {
    exchange: WORK_EXCHANGE,
    routingKey: job.pool,
    messageId: message.id,
    body: JSON.stringify(message),
    ...(headers && Object.keys(headers).length > 0 ? { headers } : {}),
  };
}

/**
 * Broadcast to every worker: stop this job if you run it, and never start it. With `attempt`, only
 * that attempt is stopped (time limits, lost workers) and later attempts still run.
 */
export function cancelCommand(
  job: { id: string; tenant: string; attempt?: number },
  reason?: string,
  attempt?: number,
): OutboxMessage {
  const data = {
    ...(reason ? { reason } : {}),
    ...(attempt ? { attempt } : job.attempt !== undefined ? { upToAttempt: job.attempt } : {}),
  };
  const message = createMessage('job.cancel', { jobId: job.id, tenant: job.tenant, data });
  return { exchange: CONTROL_EXCHANGE, routingKey: '', messageId: message.id, body: JSON.stringify(message) };
}
