import { ClaimRefusal, isTerminal } from '@jobplane/contracts';
import type { Tx } from './database';
import { attemptEnded, lockJob } from './job-updates';

export interface ClaimRequest {
  jobId: string;
  attempt: number;
  workerId: string;
  /** The relay may have published this dispatch twice: another live worker may run it already. */
  republished: boolean;
}

export type ClaimDecision = { granted: true } | { granted: false; reason: ClaimRefusal };

/**
 * Decides, in the caller's transaction, whether a worker may run an attempt it received in a
 * delivery it cannot trust (redelivered, or republished by a recovering relay). One owner per
 * attempt: refused once the attempt ended or the job moved on; for a republished dispatch, refused
 * while the attempt runs on another live worker. A grant makes the claimer the attempt's owner
 * (worker id, start time), so the watchdog follows it instead of also giving the attempt up.
 * The job row lock orders claims against each other and against the watchdog, which locks the rows
 * it abandons (`jobsOfLostWorkers`).
 */
export async function decideClaim(tx: Tx, claim: ClaimRequest, lostAfterMs: number): Promise<ClaimDecision> {
  const job = await lockJob(tx, claim.jobId);
  if (!job) return refused('unknown_job');
  if (job.attempt !== claim.attempt) return refused('attempt_superseded');
  if (isTerminal(job.state)) return refused('job_finished');
  if (job.cancelRequestedAt) return refused('cancel_requested');
  if (await attemptEnded(tx, job.id, job.attempt)) return refused('attempt_ended');
  if (job.state !== 'running') return { granted: true }; // dispatched, not started: nobody owns it yet
  if (claim.republished && job.workerId !== claim.workerId && job.startedAt) {
    if (await ownerIsLive(tx, job.workerId, job.startedAt, lostAfterMs)) return refused('running_elsewhere');
  }
  await tx.query(`UPDATE jobs SET worker_id = $2, started_at = now() WHERE id = $1`, [
    job.id,
    claim.workerId,
  ]);
  return { granted: true };
}

/** The worker heard from lately, not draining, and the same incarnation that started the job. */
async function ownerIsLive(tx: Tx, workerId: string | null, startedAt: Date, lostAfterMs: number) {
  if (!workerId) return false;
  const rows = await tx.query(
    `SELECT 1 FROM workers WHERE id = $1 AND NOT draining AND started_at <= $2::timestamptz
       AND last_seen_at >= now() - $3::bigint * interval '1 millisecond'`,
    [workerId, startedAt.toISOString(), lostAfterMs],
  );
  return rows.length > 0;
}

function refused(reason: ClaimRefusal): ClaimDecision {
  return { granted: false, reason };
}
