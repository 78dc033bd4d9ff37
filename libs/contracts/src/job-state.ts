/** Job lifecycle states. Values are wire format — never rename. */
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'timeout', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set([
  'succeeded',
  'failed',
  'timeout',
  'cancelled',
]);

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.has(state);
}

/**
 * Transitions that lifecycle events may cause. Terminal states have none, so a late or
 * duplicated event can never move a finished job.
 * - queued -> failed: rejected before it ran (unknown type, invalid payload, attempts exhausted).
 * - running -> queued: retry after a retryable failure, or a lost worker's job put back.
 */
export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  queued: ['running', 'cancelled', 'failed', 'timeout'],
  running: ['succeeded', 'failed', 'timeout', 'cancelled', 'queued'],
  succeeded: [],
  failed: [],
  timeout: [],
  cancelled: [],
};

/** States from which an explicit operator retry (not an event) may re-queue a job. */
export const MANUAL_RETRY_FROM: readonly JobState[] = ['failed', 'timeout', 'cancelled'];

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** States a job may be in for it to move to `to` (the guard of a conditional UPDATE). */
export function sourcesOf(to: JobState): JobState[] {
  return JOB_STATES.filter((from) => canTransition(from, to));
}
