import {
  canTransition,
  isTerminal,
  JOB_STATES,
  JobState,
  MANUAL_RETRY_FROM,
  sourcesOf,
  TRANSITIONS,
} from './job-state';

const allowed: [JobState, JobState][] = [
  ['queued', 'running'],
  ['queued', 'cancelled'],
  ['queued', 'failed'],
  ['queued', 'timeout'],
  ['running', 'succeeded'],
  ['running', 'failed'],
  ['running', 'timeout'],
  ['running', 'cancelled'],
  ['running', 'queued'],
];
const isAllowed = (from: JobState, to: JobState) => allowed.some(([f, t]) => f === from && t === to);
const everyPair = JOB_STATES.flatMap((from) => JOB_STATES.map((to) => [from, to] as [JobState, JobState]));

describe('job state machine', () => {
  it.each(allowed)('allows %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each(everyPair.filter(([f, t]) => !isAllowed(f, t)))('forbids %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('gives terminal states no way out, so late events cannot move them', () => {
    for (const s of JOB_STATES.filter(isTerminal)) expect(TRANSITIONS[s]).toEqual([]);
    expect(JOB_STATES.filter(isTerminal).sort()).toEqual(['cancelled', 'failed', 'succeeded', 'timeout']);
  });

  it('computes guard sources for a target state', () => {
    expect(sourcesOf('running')).toEqual(['queued']);
    expect(sourcesOf('cancelled')).toEqual(['queued', 'running']);
    expect(sourcesOf('succeeded')).toEqual(['running']);
  });

  it('allows manual retry only from unsuccessful terminal states', () => {
    expect([...MANUAL_RETRY_FROM].sort()).toEqual(['cancelled', 'failed', 'timeout']);
    expect(MANUAL_RETRY_FROM).not.toContain('succeeded');
  });
});
