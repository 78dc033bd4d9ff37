import { z } from 'zod';
import { uuidv7 } from './ids';
import { CONTRACT_VERSION, formatIssues } from './messages';

/**
 * Routing key (events exchange) of the transitions the scheduler decides itself: dispatches,
 * watchdog ends and retries, cancels of queued jobs. Outside `job.#` on purpose, so the scheduler's
 * own queue never receives it; the audit queue binds it. Wire format — never rename.
 */
export const SCHEDULER_TRANSITIONS = 'scheduler.transitions';

/** One job_events row the scheduler recorded without a causing message. */
export const schedulerTransitionSchema = z.object({
  /** The job_events row's event_id: the audit trail keeps one record per id. */
  eventId: z.uuid(),
  jobId: z.uuid(),
  tenant: z.string().min(1).max(100),
  /** The job_events type, e.g. `dispatched`, `worker_lost`, `retrying`, `timeout`. */
  event: z.string().min(1).max(50),
  attempt: z.number().int().min(0).nullable(),
  data: z.unknown(),
  occurredAt: z.iso.datetime(),
});
export type SchedulerTransition = z.infer<typeof schedulerTransitionSchema>;

/** Every transition one scheduler transaction recorded, in the order it recorded them. */
export const schedulerTransitionsSchema = z.object({
  v: z.literal(CONTRACT_VERSION),
  id: z.uuid(),
  type: z.literal(SCHEDULER_TRANSITIONS),
  transitions: z.array(schedulerTransitionSchema).min(1),
});
export type SchedulerTransitions = z.infer<typeof schedulerTransitionsSchema>;

export function createSchedulerTransitions(transitions: SchedulerTransition[]): SchedulerTransitions {
  return { v: CONTRACT_VERSION, id: uuidv7(), type: SCHEDULER_TRANSITIONS, transitions };
}

/** Validates at the audit service's edge; never throws. */
export function parseSchedulerTransitions(
  raw: unknown,
): { ok: true; message: SchedulerTransitions } | { ok: false; error: string } {
  let value: unknown = raw;
  if (Buffer.isBuffer(raw) || typeof raw === 'string') {
    try {
      value = JSON.parse(raw.toString());
    } catch {
      return { ok: false, error: 'body is not JSON' };
    }
  }
  const parsed = schedulerTransitionsSchema.safeParse(value);
  return parsed.success
    ? { ok: true, message: parsed.data }
    : { ok: false, error: formatIssues(parsed.error) };
}
