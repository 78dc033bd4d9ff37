import { canTransition, isTerminal, MANUAL_RETRY_FROM, type JobState } from '@jobplane/contracts';
import type { EventRow } from './history';

/** The state each job_events type moves a job to; `same` = no state change (attempt, progress, notes). */
const EFFECT: Readonly<Record<string, JobState | 'same'>> = {
  submitted: 'queued',
  dispatched: 'same',
  progress: 'same',
  cancel_requested: 'same',
  started: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  timeout: 'timeout',
  cancelled: 'cancelled',
  retrying: 'queued',
  worker_lost: 'queued',
  rate_limited: 'queued',
  retry_requested: 'queued',
};

/** Event types that speak for one attempt: they must name the attempt the job is on. */
const ATTEMPT_BOUND = new Set(['started', 'succeeded', 'failed', 'retrying', 'worker_lost', 'progress']);

export interface IllegalTransition {
  jobId: string;
  seq: number;
  type: string;
  from: JobState | null;
  why: string;
}

/**
 * Replays one job's events (sorted by seq) against the state machine of libs/contracts: seq must
 * run 1..n from `submitted`, each move must be allowed, terminal states must stay put and every
 * attempt-bound event must belong to the current attempt (the fence). Returns the final state too.
 */
export function replayJob(
  jobId: string,
  events: EventRow[],
): { state: JobState | null; illegal: IllegalTransition[] } {
  const illegal: IllegalTransition[] = [];
  let state: JobState | null = null;
  let attempt = 0;
  events.forEach((e, i) => {
    const bad = (why: string) => illegal.push({ jobId, seq: e.seq, type: e.type, from: state, why });
    if (e.seq !== i + 1) bad(`seq ${e.seq} where ${i + 1} was due`);
    const effect = EFFECT[e.type];
    if (effect === undefined) return bad('unknown event type');
    if (state === null) {
      if (e.type !== 'submitted') bad('first event is not submitted');
      state = 'queued';
      return;
    }
    if (e.type === 'dispatched') {
      if (state !== 'queued') bad('dispatched while not queued');
      if (e.attempt !== attempt + 1) bad(`dispatched attempt ${e.attempt} after attempt ${attempt}`);
      attempt = e.attempt ?? attempt + 1;
      return;
    }
    if (ATTEMPT_BOUND.has(e.type) && e.attempt !== null && e.attempt !== attempt) {
      bad(`attempt ${e.attempt} event while the job is on attempt ${attempt} (not fenced)`);
    }
    if (effect === 'same') {
      if (isTerminal(state)) bad('event after a terminal state');
      return;
    }
    if (e.type === 'retry_requested') {
      if (!MANUAL_RETRY_FROM.includes(state)) bad('manual retry from a non-final state');
    } else if (e.type === 'started' && state === 'running') {
      // The same attempt redelivered to another worker takes the job over: allowed, same state.
    } else if (!canTransition(state, effect)) bad(`${state} -> ${effect} is not a transition`);
    state = effect;
  });
  return { state, illegal };
}
