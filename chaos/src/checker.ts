import { isTerminal } from '@jobplane/contracts';
import type { AuditRow, EventRow, Fault, History } from './history';
import { replayJob, type IllegalTransition } from './transitions';
import { recoverySeconds } from './recovery';
import { summary, type Summary } from './stats';

export interface Report {
  /** Submits invoked, acknowledged, definitely refused, and unknown (no answer) at the client. */
  submits: { invoked: number; acked: number; failed: number; unknown: number; unknownCommitted: number };
  jobs: number;
  /** Acknowledged, yet missing from the registry or ended without the work ever running. */
  lost: string[];
  /** Not terminal `stuckAfterMs` after the fault healed (only judged once that time has passed). */
  stuck: string[];
  /** Real runs beyond the plan (ledger rows per job minus the runs its plan needs). */
  dupExec: number;
  /** Terminal jobs that ran fewer times than planned (a poison job failed before its attempts ran). */
  missingRuns: number;
  /** Runs of one (job, attempt) beyond one: the same attempt executed twice. */
  dupAttempt: number;
  /** Duplicated runs that completed (the work done twice to the end, not a run cut off by a crash). */
  dupCompleted: number;
  /**
   * Jobs in flight on the processes the faults hit: the bound on dupExec under a crash. A run is in
   * flight until its outcome is reported, not only until its handler returns: a process killed
   * between the two leaves an attempt nobody knows finished, which is rightly run again.
   */
  inFlightOnFaulted: number;
  /**
   * Of those, runs whose ledger row is ended all the same: the handler returned but the outcome
   * was never reported (the kill came first; the probe's end stamp may even land after the kill,
   * sent before it). Each may complete twice: its redelivery runs to the end too.
   */
  unreportedOnFaulted: number;
  /** Up to 10 jobs that ran more often than planned: their runs, times relative to the first fault. */
  dupJobs: { jobId: string; state: string; runs: string[] }[];
  illegalTransitions: IllegalTransition[];
  /** Job events missing from the audit trail, plus jobs whose trail is out of order. */
  auditMismatch: number;
  /** Of those, the job events missing from the trail (each one a gap in its job's history). */
  auditGaps: number;
  /** Up to 5 jobs whose trail is out of order: their event types in trail order (registry seq each). */
  auditDisorder: string[];
  /** Acknowledged jobs that ended in their expected state, as a fraction of acknowledged jobs. */
  okFrac: number;
  /** Acknowledged jobs whose final state differs from the plan. */
  unexpected: { jobId: string; state: string; runs: number; expected: string }[];
  latencyMs: { submit: Summary; endToEnd: Summary };
  /** From the first fault until throughput is back to 90% of what it was before; null = no fault. */
  recoveryS: number | null;
}

/** Checks a run the way Jepsen's total-queue does, against the ledger of real executions. */
export function check(h: History): Report {
  const jobsById = new Map(h.jobs.map((j) => [j.id, j]));
  const jobsByKey = new Map(h.jobs.filter((j) => j.idempotencyKey).map((j) => [j.idempotencyKey!, j]));
  const eventsByJob = groupBy(h.events, (e) => e.jobId);
  const runsByJob = groupBy(h.ledger, (r) => r.jobId);

  // Unknown submits that did commit count as acknowledged from here on (found by their key).
  const acked = h.submits.flatMap((s) => {
    if (s.outcome === 'acked') return [{ s, id: s.jobId! }];
    const committed = s.outcome === 'unknown' ? jobsByKey.get(s.key) : undefined;
    return committed ? [{ s, id: committed.id }] : [];
  });

  const lost: string[] = [];
  const dupJobs: Report['dupJobs'] = [];
  const t0 = h.faults[0]?.at ?? 0;
  const rel = (t: number | null) => (t === null ? 'killed' : ((t - t0) / 1000).toFixed(2));
  const stuck: string[] = [];
  const unexpected: Report['unexpected'] = [];
  const illegal: IllegalTransition[] = [];
  let dupExec = 0;
  let missingRuns = 0;
  let okCount = 0;
  const stuckJudged = h.checkedAt >= h.healedAt + h.stuckAfterMs;
  for (const { s, id } of acked) {
    const job = jobsById.get(id);
    const runs = runsByJob.get(id) ?? [];
    if (!job || (job.state === 'succeeded' && runs.length === 0)) {
      lost.push(id);
      continue;
    }
    if (!isTerminal(job.state) && stuckJudged) stuck.push(id);
    const plan = h.expect(s);
    dupExec += Math.max(0, runs.length - plan.runs);
    if (runs.length > plan.runs && dupJobs.length < 10)
      dupJobs.push({
        jobId: id,
        state: job.state,
        runs: runs.map((r) => `a${r.attempt} pid ${r.pid} ${rel(r.startedAt)}..${rel(r.endedAt)}`),
      });
    if (runs.length < plan.runs && isTerminal(job.state)) missingRuns++;
    if (plan.states.includes(job.state)) okCount++;
    else unexpected.push({ jobId: id, state: job.state, runs: runs.length, expected: plan.states.join('|') });
    const replay = replayJob(id, eventsByJob.get(id) ?? []);
    illegal.push(...replay.illegal);
    if (replay.state !== job.state) {
      illegal.push({ jobId: id, seq: -1, type: '-', from: replay.state, why: `registry says ${job.state}` });
    }
  }

  const attempts = groupBy(h.ledger, (r) => `${r.jobId}/${r.attempt}`);
  const dupAttempt = [...attempts.values()].reduce((n, rows) => n + rows.length - 1, 0);
  const dupCompleted = [...runsByJob.values()].reduce(
    (n, rows) => n + Math.max(0, rows.filter((r) => r.endedAt !== null).length - 1),
    0,
  );

  const ackedJobs = acked.map((a) => jobsById.get(a.id)).filter((j) => j !== undefined);
  return {
    submits: {
      invoked: h.submits.length,
      acked: h.submits.filter((s) => s.outcome === 'acked').length,
      failed: h.submits.filter((s) => s.outcome === 'failed').length,
      unknown: h.submits.filter((s) => s.outcome === 'unknown').length,
      unknownCommitted: acked.length - h.submits.filter((s) => s.outcome === 'acked').length,
    },
    jobs: h.jobs.length,
    lost,
    stuck,
    dupExec,
    missingRuns,
    dupAttempt,
    dupCompleted,
    ...inFlightOn(h.faults, h.ledger, h.events),
    dupJobs,
    illegalTransitions: illegal,
    auditMismatch: auditMismatch(h.events, h.audit),
    auditGaps: auditGaps(h.events, h.audit),
    auditDisorder: auditDisorder(h.events, h.audit),
    okFrac: acked.length === 0 ? 0 : okCount / acked.length,
    unexpected,
    latencyMs: {
      submit: summary(h.submits.filter((s) => s.outcome === 'acked').map((s) => s.doneAt - s.invokedAt)),
      endToEnd: summary(
        ackedJobs.filter((j) => j.finishedAt !== null).map((j) => j.finishedAt! - j.createdAt),
      ),
    },
    recoveryS: h.faults[0]
      ? recoverySeconds(
          ackedJobs.flatMap((j) => (j.finishedAt === null ? [] : [j.finishedAt])),
          h.faults[0].at,
        )
      : null,
  };
}

const OUTCOMES = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Runs that were going on in a faulted process when the fault hit: not ended then, or ended (the
 * handler returned) while no outcome of that attempt had been reported yet (reported = an outcome
 * event created before the fault; the killed process's own outcome, had it left, would be one).
 */
function inFlightOn(
  faults: Fault[],
  ledger: History['ledger'],
  events: EventRow[],
): { inFlightOnFaulted: number; unreportedOnFaulted: number } {
  const reportedAt = new Map<string, number>();
  for (const e of events) {
    if (!OUTCOMES.has(e.type) || e.attempt === null) continue;
    const k = `${e.jobId}/${e.attempt}`;
    reportedAt.set(k, Math.min(reportedAt.get(k) ?? Infinity, e.occurredAt));
  }
  let inFlight = 0;
  let unreported = 0;
  for (const f of faults) {
    const pids = new Set(f.pids);
    for (const r of ledger) {
      if (!pids.has(r.pid) || r.startedAt > f.at) continue;
      if (r.endedAt === null) inFlight++;
      else if (r.endedAt > f.at || (reportedAt.get(`${r.jobId}/${r.attempt}`) ?? Infinity) > f.at) {
        inFlight++;
        unreported++;
      }
    }
  }
  return { inFlightOnFaulted: inFlight, unreportedOnFaulted: unreported };
}

/**
 * Every job event the registry recorded must be in the audit trail (by event id: a lifecycle
 * message's record, or the scheduler's transition record for what it decided itself), and a job's
 * trail must list them in the registry's order.
 */
function auditMismatch(events: EventRow[], audit: AuditRow[]): number {
  const trailPosition = new Map(audit.map((a) => [a.eventId, a.id]));
  let mismatches = 0;
  for (const rows of groupBy(events, (e) => e.jobId).values()) {
    let last = -Infinity;
    let outOfOrder = false;
    for (const e of rows) {
      const at = trailPosition.get(e.eventId);
      if (at === undefined) {
        mismatches++;
        continue;
      }
      if (at < last) outOfOrder = true;
      last = at;
    }
    if (outOfOrder) mismatches++;
  }
  return mismatches;
}

function auditDisorder(events: EventRow[], audit: AuditRow[]): string[] {
  const trailPosition = new Map(audit.map((a) => [a.eventId, a.id]));
  const out: string[] = [];
  for (const [jobId, rows] of groupBy(events, (e) => e.jobId)) {
    const trail = rows
      .filter((e) => trailPosition.has(e.eventId))
      .sort((a, b) => trailPosition.get(a.eventId)! - trailPosition.get(b.eventId)!);
    if (out.length < 5 && trail.some((e, i) => i > 0 && e.seq < trail[i - 1]!.seq))
      out.push(`${jobId}: ${trail.map((e) => `${e.seq}:${e.type}`).join(' ')}`);
  }
  return out;
}

function auditGaps(events: EventRow[], audit: AuditRow[]): number {
  const audited = new Set(audit.map((a) => a.eventId));
  return events.filter((e) => !audited.has(e.eventId)).length;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = m.get(k);
    if (list) list.push(t);
    else m.set(k, [t]);
  }
  return m;
}
