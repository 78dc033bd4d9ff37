import {
  ADMIN_ROUTING_PREFIX,
  parseAdminAction,
  parseMessage,
  parseSchedulerTransitions,
  SCHEDULER_TRANSITIONS,
} from '@jobplane/contracts';

/** One thing the trail records: a job lifecycle message, a scheduler's transition or an administrative action. */
export interface AuditEntry {
  eventId: string;
  tenant: string;
  jobId: string | null;
  /**
   * `job.<message>` for lifecycle messages, `job.<event>` for transitions the scheduler decided,
   * `admin.<action>` for administrative actions.
   */
  type: string;
  /** Who caused it: an API key id, a worker id, `system` (the scheduler), or null when the message does not say. */
  actor: string | null;
  occurredAt: string;
  body: unknown;
}

/** Who the trail names for a transition the scheduler decided itself. */
export const SCHEDULER_ACTOR = 'system';

export type ParsedAuditEntries = { ok: true; entries: AuditEntry[] } | { ok: false; error: string };

/**
 * Validates a delivery at the audit service's edge; never throws. A scheduler transitions message
 * carries the events of one transaction: one entry each, keyed by its job_events event id.
 */
export function parseAuditEntries(raw: Buffer): ParsedAuditEntries {
  if (!raw.includes(`"${SCHEDULER_TRANSITIONS}"`)) {
    const single = parseAuditEntry(raw);
    return single.ok ? { ok: true, entries: [single.entry] } : single;
  }
  const parsed = parseSchedulerTransitions(raw);
  if (!parsed.ok) return parsed;
  return {
    ok: true,
    entries: parsed.message.transitions.map((t) => ({
      eventId: t.eventId,
      tenant: t.tenant,
      jobId: t.jobId,
      type: `job.${t.event}`,
      actor: SCHEDULER_ACTOR,
      occurredAt: t.occurredAt,
      body: { type: SCHEDULER_TRANSITIONS, ...t },
    })),
  };
}

/** Validates a lifecycle message or administrative action; never throws. */
export function parseAuditEntry(raw: Buffer): { ok: true; entry: AuditEntry } | { ok: false; error: string } {
  const admin = looksLikeAdminAction(raw) ? parseAdminAction(raw) : null;
  if (admin?.ok) {
    const a = admin.action;
    return {
      ok: true,
      entry: {
        eventId: a.id,
        tenant: a.tenant,
        jobId: a.target.kind === 'job' ? a.target.id : null,
        type: `${ADMIN_ROUTING_PREFIX}${a.action}`,
        actor: a.actor,
        occurredAt: a.occurredAt,
        body: a,
      },
    };
  }
  if (admin) return admin;
  const parsed = parseMessage(raw);
  if (!parsed.ok) return parsed;
  const m = parsed.message;
  return {
    ok: true,
    entry: {
      eventId: m.id,
      tenant: m.tenant,
      jobId: m.jobId,
      type: m.type,
      actor: actorOf(m.data) ?? (m as { actor?: string }).actor ?? null,
      occurredAt: m.occurredAt,
      body: m,
    },
  };
}

function looksLikeAdminAction(raw: Buffer): boolean {
  return raw.includes('"admin.action"');
}

/** Worker-reported messages name their worker. */
function actorOf(data: unknown): string | null {
  const workerId = (data as { workerId?: unknown }).workerId;
  return typeof workerId === 'string' ? `worker:${workerId}` : null;
}
