import { z } from 'zod';
import { jobEventViewSchema } from './dto';

/**
 * Fanout exchange of recorded-event notifications: the scheduler publishes, after each commit, the
 * job events it just recorded; every api replica binds its own exclusive queue and feeds its live
 * streams (SSE, WebSocket, gRPC WatchJob) from it. Best-effort: the registry stays the truth, and a
 * stream that sees a gap in a job's seqs re-reads it.
 */
export const NOTIFY_EXCHANGE = 'jobplane.notify';

/** One recorded event plus what live streams filter on (tenant isolation, the tenant stream's filters). */
export const jobEventNoteSchema = jobEventViewSchema.extend({
  tenant: z.string(),
  jobType: z.string(),
  pool: z.string(),
});
export type JobEventNote = z.infer<typeof jobEventNoteSchema>;

/** Body of a NOTIFY_EXCHANGE message: every event one scheduler transaction recorded, in order. */
export const eventNotificationSchema = z.object({ events: z.array(jobEventNoteSchema) });
export type EventNotification = z.infer<typeof eventNotificationSchema>;

/** Parses a notification body; undefined for anything malformed (a live stream just skips it). */
export function parseEventNotification(body: Buffer | string): EventNotification | undefined {
  try {
    const parsed = eventNotificationSchema.safeParse(JSON.parse(body.toString()));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The public view of a note (what clients see). */
export function viewOfNote(n: JobEventNote): z.infer<typeof jobEventViewSchema> {
  return {
    jobId: n.jobId,
    seq: n.seq,
    type: n.type,
    attempt: n.attempt,
    data: n.data,
    occurredAt: n.occurredAt,
  };
}
